#!/usr/bin/env bash
# The GitHub Action's one step (action.yml): runs `kposture audit` with the action's inputs, which
# action.yml passes as INPUT_* environment variables, writes the step's outputs and the Markdown
# report to the job summary, and exits with kposture's exit code (README "Exit codes").
#
# INPUT_ARGS is split into arguments on whitespace and line breaks, without any shell expansion;
# a line that starts with `--name=` is one argument whole, so that a value may hold spaces:
#   args: |
#     --snapshot cluster/ --check NP-02
#     --namespace-selector=env in (prod,stage)
set -euo pipefail

args=(audit)
while IFS= read -r line || [[ -n $line ]]; do
  line="${line#"${line%%[![:space:]]*}"}"
  line="${line%"${line##*[![:space:]]}"}"
  [[ -z $line ]] && continue
  if [[ $line == --*=* ]]; then
    args+=("$line")
  else
    read -ra words <<<"$line"
    args+=("${words[@]}")
  fi
done <<<"${INPUT_ARGS:-}"

# The gate.
[[ -n ${INPUT_FAIL_UNDER:-} ]] && args+=(--fail-under "$INPUT_FAIL_UNDER")
[[ -n ${INPUT_MIN_COVERAGE:-} ]] && args+=(--min-coverage "$INPUT_MIN_COVERAGE")
IFS=$', \t\n' read -ra fail_on <<<"${INPUT_FAIL_ON:-}"
for value in "${fail_on[@]}"; do args+=(--fail-on "$value"); done
[[ -n ${INPUT_BASELINE:-} ]] && args+=(--baseline "$INPUT_BASELINE")
[[ -n ${INPUT_MAX_SCORE_DROP:-} ]] && args+=(--max-score-drop "$INPUT_MAX_SCORE_DROP")
[[ ${INPUT_STRICT_WAIVERS:-false} == true ]] && args+=(--strict-waivers)
[[ -n ${INPUT_CONFIG:-} ]] && args+=(--config "$INPUT_CONFIG")

# The reports: the JSON report is always written (the outputs are read from it), to a temporary
# file unless asked for; so is the Markdown report when the summary wants it.
scratch=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kposture.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
json=${INPUT_JSON:-$scratch/kposture.json}
markdown=${INPUT_MARKDOWN:-}
[[ -z $markdown && ${INPUT_SUMMARY:-true} == true ]] && markdown=$scratch/kposture.md
args+=(--report "json=$json")
[[ -n $markdown ]] && args+=(--report "markdown=$markdown")
[[ -n ${INPUT_SARIF:-} ]] && args+=(--report "sarif=$INPUT_SARIF")

# Which kposture: a version from the npm registry, or the action's own checkout (built once).
if [[ -n ${INPUT_VERSION:-} ]]; then
  cli=(npm exec --yes --package "kposture@$INPUT_VERSION" -- kposture)
else
  root=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this script from action.yml}
  if [[ ! -f $root/dist/src/cli/main.js ]]; then
    (cd "$root" && npm ci --no-audit --no-fund --ignore-scripts >&2 && npm run build --silent >&2)
  fi
  cli=(node "$root/bin/kposture.js")
fi

echo "kposture ${args[*]@Q}"
set +e
"${cli[@]}" "${args[@]}"
code=$?
set -e

output() {
  [[ -n ${GITHUB_OUTPUT:-} ]] && printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  return 0
}
output exit-code "$code"
if [[ -s $json ]]; then
  # shellcheck disable=SC2016 # the ${...} are JavaScript's
  while IFS='=' read -r name value; do output "$name" "$value"; done < <(
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(`score=${r.score ?? ""}`); console.log(`grade=${r.grade ?? ""}`); console.log(`coverage=${r.coverage}`);' "$json"
  )
  [[ -n ${INPUT_JSON:-} ]] && output json "$INPUT_JSON"
fi
[[ -n ${INPUT_SARIF:-} && -s $INPUT_SARIF ]] && output sarif "$INPUT_SARIF"

if [[ ${INPUT_SUMMARY:-true} == true && -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  if [[ -s $markdown ]]; then
    cat "$markdown" >>"$GITHUB_STEP_SUMMARY"
  else
    printf '## kposture: no report\n\nkposture exited with code %s before writing a report: the step log says why.\n' "$code" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
exit "$code"
