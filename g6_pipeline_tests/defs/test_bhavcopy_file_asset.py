"""The bhavcopy_file asset: a partition an import recorded is read again and checked when materialized; a file
gone bad fails `readable` with its line, and a partition with no recorded file fails saying how to import it."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.defs.reference.bhavcopy import BHAVCOPY_DAYS_NAME, BHAVCOPY_FILE, bhavcopy_file
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline_tests.fakes.bhavcopy import csv_bytes, nse_name, priced_chain, rows_of, write_zip
from g6_pipeline_tests.fakes.config import make_config

DAY = date(2026, 1, 5)
KEY = "2026-01-05|NSE"


def _resource(root: Path) -> G6Resource:
    config = make_config(root / "config", root / "data")
    (config / "indices_config.json").write_text(json.dumps({
        "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "expiry_tags": ["this_week"]},
        "BANKNIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY BANK", "expiry_tags": ["this_month"]},
    }))
    return G6Resource(config_dir=str(config))


def test_a_recorded_file_is_read_again_and_checked(tmp_path: Path) -> None:
    g6 = _resource(tmp_path)
    expiries = [date(2026, 1, 13), date(2026, 1, 20), date(2026, 1, 27)]
    contracts = priced_chain(DAY, 26010.0, expiries, [26000.0, 26050.0], 0.12, 0.065, 65)
    path = write_zip(tmp_path / nse_name(DAY), csv_bytes(rows_of(DAY, "NIFTY", 25990.0, contracts, 65)))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(BHAVCOPY_DAYS_NAME, [DAY.isoformat()])
        with pytest.raises(dg.Failure, match=re.escape("no file to read for 2026-01-05|NSE: import it with g6 import-bhavcopy")):
            dg.materialize([bhavcopy_file], instance=instance, resources=shared_resources(g6), partition_key=KEY)
        instance.report_runless_asset_event(dg.AssetMaterialization(
            BHAVCOPY_FILE, partition=KEY, metadata={"path": dg.MetadataValue.path(str(path))}))
        result = dg.materialize([bhavcopy_file], instance=instance, resources=shared_resources(g6), partition_key=KEY,
                                raise_on_error=False)
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert checks["readable"].passed and checks["readable"].description == "12 option rows read"
        assert not checks["complete"].passed and checks["complete"].description == "lists NIFTY; lacks BANKNIFTY"
        bad = rows_of(DAY, "NIFTY", 25990.0, contracts, 65)
        bad[1]["OpnIntrst"] = "-5"
        write_zip(path, csv_bytes(bad))
        result = dg.materialize([bhavcopy_file], instance=instance, resources=shared_resources(g6), partition_key=KEY,
                                raise_on_error=False)
        assert not result.success
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert not checks["readable"].passed
        assert checks["readable"].description == f"{path} line 3: OpnIntrst '-5' is negative"
