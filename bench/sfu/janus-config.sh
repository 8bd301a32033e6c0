#!/usr/bin/env bash
# Writes a Janus config folder for the benchmark into $1: Debian's /etc/janus with only the
# VideoRoom plugin and the HTTP transport (port 8088), no event handlers or loggers, warnings-only
# logs, RTP ports 20000-40000, ICE on the namespace's veth only, and EVENT_LOOPS static event loops
# (default 2, one per core, instead of a thread per handle).
set -euo pipefail
OUT=$1; IFACE=${IFACE:-psfu-n}; EVENT_LOOPS=${EVENT_LOOPS:-2}
mkdir -p "$OUT"
cp /etc/janus/janus.jcfg /etc/janus/janus.plugin.videoroom.jcfg /etc/janus/janus.transport.http.jcfg "$OUT/"
plugins=$(cd /usr/lib/x86_64-linux-gnu/janus/plugins && ls libjanus_*.so | grep -v videoroom | paste -sd,)
transports=$(cd /usr/lib/x86_64-linux-gnu/janus/transports && ls libjanus_*.so | grep -v '_http' | paste -sd,)
events=$(cd /usr/lib/x86_64-linux-gnu/janus/events && ls libjanus_*.so | paste -sd,)
loggers=$(cd /usr/lib/x86_64-linux-gnu/janus/loggers && ls libjanus_*.so | paste -sd,)
sed -i -E \
  -e 's/^(\s*)debug_level = [0-9]+/\1debug_level = 3/' \
  -e "s|^(\s*)#?event_loops = [0-9]+|\1event_loops = $EVENT_LOOPS|" \
  -e 's|^(\s*)#?rtp_port_range = .*|\1rtp_port_range = "20000-40000"|' \
  -e "s|^(\s*)#?ice_enforce_list = \"eth0\"$|\1ice_enforce_list = \"$IFACE\"|" \
  -e 's|^(\s*)configs_folder = .*|\1configs_folder = "'"$OUT"'"|' \
  "$OUT/janus.jcfg"
# the plugins/transports/events/loggers sections each have one commented "disable" line, in that order
awk -v p="$plugins" -v t="$transports" -v e="$events" -v l="$loggers" '
  /^plugins: \{/ {s="p"} /^transports: \{/ {s="t"} /^events: \{/ {s="e"} /^loggers: \{/ {s="l"}
  /^[ \t]*#disable = / && s!="" { v=(s=="p"?p:(s=="t"?t:(s=="e"?e:l))); sub(/#disable = .*/, "disable = \"" v "\""); s="" }
  {print}' "$OUT/janus.jcfg" > "$OUT/janus.jcfg.new" && mv "$OUT/janus.jcfg.new" "$OUT/janus.jcfg"
# no demo rooms: the load tester creates its own
awk '/^room-[0-9]+: \{/ {skip=1} !skip {print} skip && /^\}/ {skip=0}' "$OUT/janus.plugin.videoroom.jcfg" > "$OUT/vr.new" && mv "$OUT/vr.new" "$OUT/janus.plugin.videoroom.jcfg"
