"""The pure core: age bands, settings decisions and audit events. No I/O, no clock reads, no AWS."""
