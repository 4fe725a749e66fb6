#!/usr/bin/env bash
# Regenerates the small real-speech fixtures in tests/fixtures (committed; kilobytes each).
# Needs: espeak-ng, ffmpeg (apt-get install espeak-ng ffmpeg). Speech is synthetic (espeak-ng),
# so there is no licence question; the files are deterministic up to encoder versions.
set -euo pipefail
cd "$(dirname "$0")/../tests/fixtures"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# One short sentence by a male voice: the codec fixtures.
espeak-ng -v en+m3 -s 170 -w "$tmp/hello.wav" "Hello there, friend."
ff() { ffmpeg -loglevel error -y -i "$tmp/hello.wav" "$@"; }
ff -ar 16000 -ac 1 -c:a pcm_s16le hello.wav
ff -ar 44100 -ac 1 -c:a libmp3lame -b:a 32k hello.mp3
ff -ar 48000 -ac 2 -c:a libvorbis -q:a 0 hello.ogg
ff -ar 22050 -ac 1 -sample_fmt s16 -c:a flac hello.flac
ff -ar 44100 -ac 1 -c:a aac -b:a 32k hello.m4a
ff -ar 8000 -ac 1 -c:a pcm_mulaw hello_8k_mulaw.wav

# A two-person exchange, A (male) left, B (female) right, with a short overlap:
# A 0.0-~1.7 s, B from 1.4 s, A again at 3.4 s. Mixed down it is the one-mic case.
espeak-ng -v en+m3 -s 170 -w "$tmp/a1.wav" "So what did you think of it?"
espeak-ng -v en+f4 -p 70 -s 170 -w "$tmp/b1.wav" "I loved it, really."
espeak-ng -v en+m3 -s 170 -w "$tmp/a2.wav" "Me too."
ffmpeg -loglevel error -y -i "$tmp/a1.wav" -i "$tmp/b1.wav" -i "$tmp/a2.wav" -filter_complex \
  "[0]adelay=0[a1];[2]adelay=3400[a2];[a1][a2]amix=inputs=2:normalize=0,apad=whole_dur=4.5[l];\
   [1]adelay=1400,apad=whole_dur=4.5[r];[l][r]join=inputs=2:channel_layout=stereo[out]" \
  -map "[out]" -ar 24000 -c:a libvorbis -q:a 0 dialog_stereo.ogg
ls -la
