#!/bin/bash
# The query shapes of README "Query shapes next to the benchmarked ones", against
# an API on localhost:PORT serving the 100,000-measure synthetic plan
# (go run ./cmd/loader synth --measures 100000 --seed 1; make api).
# usage: bench/shapes.sh PORT  -> one table row per shape: p50 and max of 5 runs after a warm-up (ms)
PORT=${1:?usage: bench/shapes.sh PORT}; P=synth-100000-1
out=$(mktemp -d)
gid() { printf "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
run() {
  name=$1; q=$2
  body=$(python3 -c 'import json,sys; print(json.dumps({"query":sys.argv[1]}))' "$q")
  curl -s -m 30 localhost:$PORT/graphql -H 'content-type: application/json' -d "$body" -o "$out/$name.json"
  ts=()
  for i in 1 2 3 4 5; do ts+=($(curl -s -m 30 -o /dev/null -w '%{time_total}' localhost:$PORT/graphql -H 'content-type: application/json' -d "$body")); done
  med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p); mx=$(printf '%s\n' "${ts[@]}" | sort -n | tail -1)
  err=$(grep -o '"code":"[A-Z_]*"' "$out/$name.json" | head -1)
  printf '| %s | %.0f | %.0f | %s |\n' "$name" "$(echo "$med*1000"|bc)" "$(echo "$mx*1000"|bc)" "$err"
}
run nested_sectors '{ sectors { name measures(first: 10) { nodes { code title projects { name } } } } }'
run nested_places '{ places { name measures(first: 5) { totalCount nodes { code sectors { name } } } } }'
run nested_milestones '{ milestones { year measures(first: 20, orderBy:[{field:TITLE}]) { totalCount nodes { code title } } } }'
run walk_place_d3 "{ neighborhood(id: \"$(gid Place:syn-place-250)\", depth: 3, limit: 1000) { truncated nodes { id } edges { id } } }"
run walk_sector_d3 "{ neighborhood(id: \"$(gid Sector:syn-sector-2)\", depth: 3, limit: 1000) { truncated nodes { id } edges { id } } }"
run walk_milestone_d2 "{ neighborhood(id: \"$(gid Milestone:syn-2025)\", depth: 2, limit: 200) { truncated nodes { id } edges { id } } }"
run year_desc_min2030 "{ plan(slug: \"$P\") { measures(first:20, orderBy:[{field: MILESTONE_YEAR, direction: DESC}], filter:{milestoneYear:{min:2030}}) { nodes { code } } } }"
run year_asc_min2045 "{ plan(slug: \"$P\") { measures(first:20, orderBy:[{field: MILESTONE_YEAR}], filter:{milestoneYear:{min:2045}}) { totalCount nodes { code } } } }"
run title_desc_status_sector "{ plan(slug: \"$P\") { measures(first:20, orderBy:[{field: TITLE, direction: DESC}], filter:{status:[PLANNED], sector:[\"syn-sector-3\"]}) { totalCount nodes { code } } } }"
run section_desc_in_sector "{ sector(slug:\"syn-sector-2\") { measures(first: 50, filter:{status:[PLANNED]}, orderBy:[{field:SECTION, direction: DESC}]) { totalCount nodes { code } } } }"
run place_filter_title "{ measures(first:20, orderBy:[{field: TITLE, direction: DESC}], filter:{place:[\"syn-place-250\"]}) { totalCount nodes { code } } }"
run text_rare "{ plan(slug: \"$P\") { measures(first:20, filter:{text:\"zzzz\"}) { totalCount nodes { code } } } }"
run text_common_title_desc "{ plan(slug: \"$P\") { measures(first:20, orderBy:[{field:TITLE, direction: DESC}], filter:{text:\"harbour\"}) { totalCount nodes { code } } } }"
run count_section "{ plan(slug: \"$P\") { measures(filter:{section:2}) { totalCount } } }"
run count_status "{ plan(slug: \"$P\") { measures(filter:{status:[PLANNED]}) { totalCount } } }"
run count_sector_in_plan "{ plan(slug: \"$P\") { measures(filter:{sector:[\"syn-sector-2\"]}) { totalCount } } }"
run deep_page_code "{ plan(slug: \"$P\") { measures(first:20, after: \"$(printf '{"o":"CODE,","k":["S000002.A000008.M009000","Measure:synth-100000-1/S2.A8.M9000"]}' | base64 -w0 | tr '+/' '-_' | tr -d '=')\") { nodes { code } } } }"
run bundled_dashboard '{ plan(slug: "shenzhen-pdz-action-plan") { measures(first: 20) { nodes { code title section { title } aspect { title } projects { name places { name } } sectors { name } } } } }'
# Filtered connections under a list: one filtered page (and count) per node of the list.
run list_places_place_total '{ places { measures(first: 5, filter: {place: ["syn-place-1"]}) { totalCount nodes { code } } } }'
run list_places_place '{ places { measures(first: 5, filter: {place: ["syn-place-1"]}) { nodes { code } } } }'
run list_sectors_text_total '{ sectors { measures(first: 5, filter: {text: "harbour"}) { totalCount nodes { code } } } }'
run list_sectors_text '{ sectors { measures(first: 5, filter: {text: "harbour"}) { nodes { code } } } }'
run list_milestones_year_total '{ milestones { measures(first: 5, filter: {milestoneYear: {min: 2040}}) { totalCount nodes { code } } } }'
run list_sectors_section_total '{ sectors { name measures(filter:{section:2}) { totalCount } } }'
run list_places_section_total '{ places { name measures(filter:{section:1}) { totalCount } } }'
run list_milestones_aspect_total '{ milestones { year measures(filter:{section:2, aspect:1}) { totalCount } } }'
run list_sectors_section_page '{ sectors { name measures(first:5, filter:{section:2}) { totalCount nodes { code } } } }'
# A section filter in code order under a list: the walk seeks the section's block of codes.
run list_places_section_last '{ places { measures(last: 9, filter: {section: 1}) { totalCount nodes { code title sectors { name } } } } }'
run list_milestones_aspect_page '{ milestones { measures(first: 3, filter: {section: 1, aspect: 2}) { nodes { code } } } }'
