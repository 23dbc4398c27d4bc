"""Background jobs with progress: a JobRun row per job, run by `incasso worker` off the web request."""
