"""Training dynamics: infinite-width kernel regression and finite-width training of stax networks."""
