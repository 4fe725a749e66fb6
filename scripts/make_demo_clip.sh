#!/usr/bin/env bash
# Regenerates crates/pipeline/assets/demo_conversation.ogg, the clip `duologue demo` embeds:
# two espeak-ng voices taking turns (A male, B female) with a short overlap, mixed to one
# 16 kHz mono track (the one-microphone case), low-bitrate Ogg Vorbis (a few tens of KB).
# Needs: espeak-ng, ffmpeg with libvorbis (apt-get install espeak-ng ffmpeg). The speech is
# synthetic, so there is no licence question; output is deterministic up to encoder versions.
#   A 0.0 s  "Hey, did you get a chance to look at the plans for the garden?"
#   B ~3.2 s "I did! The little pond by the fence would look lovely."
#   A ~6.0 s "Sure, but who is going to dig it?"     (B cuts in before A is done)
#   B ~7.6 s "Well, you did offer."
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/crates/pipeline/assets/demo_conversation.ogg"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
a() { espeak-ng -v en+m3 -s 165 -w "$tmp/$1.wav" "$2"; }
b() { espeak-ng -v en+f4 -p 70 -s 175 -w "$tmp/$1.wav" "$2"; }
a a1 "Hey, did you get a chance to look at the plans for the garden?"
b b1 "I did! The little pond by the fence would look lovely."
a a2 "Sure, but who is going to dig it?"
b b2 "Well, you did offer."
ffmpeg -loglevel error -y -i "$tmp/a1.wav" -i "$tmp/b1.wav" -i "$tmp/a2.wav" -i "$tmp/b2.wav" \
  -filter_complex "[0]adelay=0[p0];[1]adelay=3200[p1];[2]adelay=6000[p2];[3]adelay=7600[p3];\
[p0][p1][p2][p3]amix=inputs=4:normalize=0,apad=whole_dur=9.5,atrim=0:9.5[out]" \
  -map "[out]" -ar 16000 -ac 1 -c:a libvorbis -q:a 0 "$out"
ls -la "$out"
