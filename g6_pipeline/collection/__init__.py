"""The collection cycle shared by `g6 collect` and the Dagster job: fetch → analytics → write → publish."""
