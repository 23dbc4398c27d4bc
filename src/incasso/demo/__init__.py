"""Demo and benchmark data: a deterministic generator (pure, in ``generator/``) and the commands
``incasso generate`` and ``incasso demo`` that write, import and summarise it."""
