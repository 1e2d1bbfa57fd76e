"""The operators' command line (`safety-settings`): jobs over all accounts, run from a terminal."""
