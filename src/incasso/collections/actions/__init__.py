"""Business verbs of the collections workbench; views, CLI and API call these and nothing else."""
