"""The Lambda deployment package `make package` builds from the lock: what it holds, its size, and its template.

Slow on the first run only: the Lambda wheels are downloaded once into build/wheelhouse/ (keyed by requirements.txt)
and chalice caches what it built from them in .chalice/deployments/, so later runs are offline and take seconds.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from tools.package import build

USER_POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_example"
# Until app.py always uses the Cognito authorizer it picks one from AUTH_MODE (tests/conftest.py sets "local"), so
# the package is built as AWS would see it. Once app.py reads nothing from the environment these change nothing.
PACKAGE_ENV = {"AUTH_MODE": "cognito", "USER_POOL_ARN": USER_POOL_ARN}
MAX_ZIP_BYTES = 10 * 1024 * 1024
# What the python3.11 Lambda runtime puts beside the function's code.
LAMBDA_PROVIDES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


@dataclass(frozen=True)
class Package:
    zip_path: Path
    names: frozenset[str]
    template: dict[str, Any]
    network_isolated: bool

    @property
    def top_level(self) -> set[str]:
        return {name.split("/")[0] for name in self.names}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    out = tmp_path_factory.mktemp("package")
    env = {name: value for name, value in os.environ.items() if name not in ("AUTH_MODE", "LOCAL_JWT_SECRET")}
    isolation = build(out, {**env, **PACKAGE_ENV})
    zip_path = out / "deployment.zip"
    return Package(
        zip_path=zip_path,
        names=frozenset(zipfile.ZipFile(zip_path).namelist()),
        template=json.loads((out / "sam.json").read_text()),
        network_isolated=bool(isolation),
    )


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == resource_type}


def test_chalice_package_ran_without_network(package: Package) -> None:
    if not package.network_isolated:
        pytest.skip("no unshare here: pip was kept off the index but the network was not cut")
    # Given the package built / Then chalice's pip ran in a network namespace with no interfaces, and still succeeded
    assert package.zip_path.stat().st_size > 0


def test_zip_holds_pydantic_with_its_compiled_core_for_linux_x86_64(package: Package) -> None:
    assert {"pydantic", "pydantic_core"} <= package.top_level
    assert "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so" in package.names


def test_zip_holds_powertools_and_pyjwt(package: Package) -> None:
    assert {"aws_lambda_powertools", "jwt"} <= package.top_level


def test_zip_holds_the_app_and_only_chalices_vendored_runtime(package: Package) -> None:
    # Then app.py and chalicelib/ are there, and of chalice only the runtime `chalice package` vendors
    assert {"app.py", "chalicelib/policy/versions/2026-11-25.json", "chalicelib/api/openapi.json"} <= package.names
    assert {name for name in package.names if name.startswith("chalice/")} == {"chalice/__init__.py", "chalice/app.py"}


def test_zip_leaves_out_boto3_and_botocore_which_lambda_provides(package: Package) -> None:
    assert {"boto3", "botocore", "s3transfer"}.isdisjoint(package.top_level)


def test_zip_holds_no_test_bench_infra_devstack_or_tools_code(package: Package) -> None:
    assert {"tests", "bench", "infra", "devstack", "tools"}.isdisjoint(package.top_level)
    assert not [name for name in package.names if "/tests/" in name or "local_stack" in name or "moto" in name]


def test_zip_is_under_10_mb(package: Package) -> None:
    assert package.zip_path.stat().st_size < MAX_ZIP_BYTES


@pytest.mark.skipif(
    (sys.platform, platform.machine()) != ("linux", "x86_64"), reason="the compiled core is for Linux x86_64"
)
def test_app_imports_from_the_zip_with_only_what_lambda_provides_beside_it(package: Package, tmp_path: Path) -> None:
    # Given the zip unpacked as Lambda's /var/task, and a runtime directory holding only boto3 and what it needs
    task, runtime = tmp_path / "task", tmp_path / "runtime"
    zipfile.ZipFile(package.zip_path).extractall(task)
    runtime.mkdir()
    for module in LAMBDA_PROVIDES:
        spec = find_spec(module)
        assert spec is not None and spec.origin is not None
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    # When Python starts with no site-packages, only those two on its path, and imports the handler's module
    script = (
        f"import sys; sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]; import app, chalice, pydantic_core; "
        "print(app.app.app_name, chalice.__file__, pydantic_core.__file__)"
    )
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "eu-west-1", **PACKAGE_ENV}
    imported = subprocess.run([sys.executable, "-I", "-S", "-c", script], env=env, capture_output=True, text=True)
    # Then it imports, with chalice and pydantic's compiled core taken from the zip
    assert imported.returncode == 0, imported.stderr
    app_name, chalice_file, core_file = imported.stdout.split()
    assert app_name == "safety-settings"
    assert Path(chalice_file).is_relative_to(task) and Path(core_file).is_relative_to(task)


def test_the_api_authorizer_is_cognito(package: Package) -> None:
    # Given the API's swagger in the SAM template
    (api,) = resources_of_type(package.template, "AWS::Serverless::Api").values()
    definitions = api["Properties"]["DefinitionBody"]["securityDefinitions"]
    # Then every security definition is a Cognito user pool authorizer
    assert definitions
    for definition in definitions.values():
        assert definition["x-amazon-apigateway-authtype"] == "cognito_user_pools"
        assert definition["x-amazon-apigateway-authorizer"]["type"] == "cognito_user_pools"


def test_no_function_but_the_api_the_stream_consumer_the_jobs_and_no_local_authorizer(
    package: Package,
) -> None:
    # Given the SAM template / Then the API handler, the reports stream consumer, the daily band transitions and the
    # policy migration and the export's two queue consumers are the only functions, and nothing is a local (HS256)
    # authorizer
    functions = resources_of_type(package.template, "AWS::Serverless::Function")
    assert set(functions) == {
        "APIHandler",
        "ReportsStream",
        "BandTransitions",
        "PolicyMigration",
        "ExportWorker",
        "ExportDeadLetters",
    }
    assert functions["PolicyMigration"]["Properties"]["Timeout"] == 900
    # and the export worker takes one segment per message, with Lambda's longest timeout
    worker = functions["ExportWorker"]["Properties"]
    assert worker["Timeout"] == 900
    (queue_event,) = worker["Events"].values()
    assert queue_event["Type"] == "SQS" and queue_event["Properties"]["BatchSize"] == 1
    # and the job runs daily just after midnight UTC, with Lambda's longest timeout (it stops a minute before it)
    transitions = functions["BandTransitions"]["Properties"]
    assert transitions["Events"]["BandTransitionsEvent"]["Properties"]["Schedule"] == "cron(5/15 0-1 * * ? *)"
    assert transitions["Timeout"] == 900
    flattened = [name.lower().replace("_", "") for name in package.template["Resources"]]
    assert not [name for name in flattened if "localjwt" in name or "authorizer" in name]
