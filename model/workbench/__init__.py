"""The analyst's workbench: replications of runs with intervals, comparisons and sweeps on Dask, and the
self-contained HTML report (issue 14).  Plots live here and in model/report, never in the model core."""
