"""The regiegroep's overview (dekking): pure counts, the one read, the chart, the monthly
digest and the maintainer's report."""
