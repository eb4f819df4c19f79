"""The Dagster layer of G6: thin wrappers over the pure core, one folder per domain. Nothing else imports it.

The beta parts of Dagster's API G6 relies on (partition mappings, backfill policies, owners) are chosen on
purpose; their warnings would only fill every run's log, so they are not shown.
"""

import warnings

from dagster import BetaWarning

warnings.filterwarnings("ignore", category=BetaWarning)
