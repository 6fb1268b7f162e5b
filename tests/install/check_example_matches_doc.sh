#!/usr/bin/env bash
# soma_example_qif_matches_doc: examples/plugins/qif.cpp and examples/plugins/CMakeLists.txt are the
# files printed in docs/writing-a-plugin.md ("The source file", "Build the plug-in"), so the example
# that soma_install_sdk builds and runs is the one the guide shows. usage: check_example_matches_doc.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: $0 SOURCE_DIR}
doc=$source_dir/docs/writing-a-plugin.md

# block HEADING LANG: the first ```LANG block after the line HEADING of the guide.
block() {
  awk -v heading="$1" -v fence="\`\`\`$2" '$0 == heading { f = 1 } f && $0 == fence { c = 1; next } c && /^```$/ { exit } c' "$doc"
}
# same HEADING LANG FILE: fails unless the block is FILE.
status=0
same() {
  if ! diff -u <(block "$1" "$2") "$3"; then
    echo "FAIL: $3 differs from the $2 block under '$1' in $doc (above: - the guide, + the file); keep them identical" >&2
    status=1
  fi
}
same "## The source file" cpp "$source_dir/examples/plugins/qif.cpp"
same "### Build the plug-in" cmake "$source_dir/examples/plugins/CMakeLists.txt"
[ "$status" -eq 0 ] && echo "soma_example_qif_matches_doc: identical"
exit "$status"
