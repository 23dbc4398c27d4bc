#!/usr/bin/env bash
# Regenerate docs/cli.md from the commands' own --help (run from the project root).
set -euo pipefail
INCASSO=.venv/bin/incasso
COMMANDS=(
  "migrate" "demo" "generate" "cycle daily"
  "import"
  "bank inspect" "bank import" "bank remittance" "cashapp run" "cashapp export"
  "worklist build" "worklist show" "worklist export" "promises judge" "plans list" "plans show" "plans judge"
  "disputes import" "disputes escalate"
  "dunning propose" "dunning approve" "dunning send" "dunning show" "worker"
  "report aging" "report aging-snapshot" "report disputes" "report kpis" "report validate" "report run"
  "report schedule-add" "report schedule-due"
  "api token create" "api token list" "api token revoke"
)
{
  echo "# The \`incasso\` command"
  echo
  echo "Every command is a Django management command under one name (\`incasso help\` lists them all,"
  echo "Django's own included). Settings come from the environment (see the README). Commands that need"
  echo "the database refuse to run on an uninitialised one and say to run \`incasso migrate\`."
  echo "Generated from the commands' own help by \`docs/gen_cli.sh\`; Django's common options"
  echo "(\`--settings\`, \`--traceback\`, \`-v\` ...) are left out."
  for command in "${COMMANDS[@]}"; do
    echo
    echo "## incasso $command"
    echo
    echo '```'
    # shellcheck disable=SC2086
    COLUMNS=110 $INCASSO $command --help 2>&1 | awk '
      !started { if ($0 == "") started=1; next }
      /^  --version|^  --settings|^  --pythonpath|^  --traceback|^  --no-color|^  --force-color|^  --skip-checks|^  -v \{0,1,2,3\}/ {skip=1; next}
      skip && /^                    / {next}
      {skip=0; print}'
    echo '```'
  done
} > docs/cli.md
