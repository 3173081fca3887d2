"""Experiment drivers above the compute core: they train models on the bundled datasets and
tabulate or plot results (pandas, plotly). `import spurwidgets` never imports this package."""
