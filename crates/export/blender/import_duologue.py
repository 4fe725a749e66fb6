"""Import a duologue .glb into Blender at its own frame rate, with its frame range.

Blender's glTF importer (io_scene_gltf2, Blender 3.x) turns key times in seconds into frames
with the scene's frame rate *at import time* and reads no rate from the file, so a 25 fps clip
imported into a default 24 fps scene ends at frame 227.5 instead of 237. duologue's glb states
its rate in the scene's `extras.fps` (and the animation's); this script sets the scene's rate
from it before importing and the frame range after.

    blender --python crates/export/blender/import_duologue.py -- talk.glb [more.glb ...]

or, inside Blender's Python console: `exec(open(".../import_duologue.py").read()); load("talk.glb")`.
"""

import json
import struct
import sys

import bpy


def _numpy_compat():
    """Blender 3.4's glTF importer (Debian 12's blender) uses `np.bool`, which NumPy 1.24 (Debian
    12's python3-numpy) removed; restore the alias so the importer runs."""
    try:
        import numpy as np
    except ImportError:
        return
    if "bool" not in np.__dict__:
        np.bool = bool


def glb_json(path):
    """The JSON chunk of a .glb file."""
    with open(path, "rb") as f:
        magic, version, _length, jlen, jtype = struct.unpack("<4sIII4s", f.read(20))
        if magic != b"glTF" or version != 2 or jtype != b"JSON":
            raise ValueError(f"{path}: not a glTF 2.0 binary (.glb)")
        return json.loads(f.read(jlen))


def clip_info(doc):
    """(fps, frames) from the scene's extras (duologue), or (None, None) for other files."""
    scenes = doc.get("scenes") or [{}]
    extras = scenes[doc.get("scene", 0)].get("extras") or {}
    fps, frames = extras.get("fps"), extras.get("frames")
    return (float(fps) if fps else None, int(frames) if frames else None)


def load(path):
    """Import `path` into the current scene at the file's frame rate; returns the glTF JSON."""
    _numpy_compat()
    doc = glb_json(path)
    fps, frames = clip_info(doc)
    scene = bpy.context.scene
    if fps:
        # The importer multiplies seconds by render.fps only (fps_base is ignored), so a whole
        # rate is what it can honour; duologue writes 25 (or a whole --fps).
        scene.render.fps = max(1, round(fps))
        scene.render.fps_base = 1.0
    bpy.ops.import_scene.gltf(filepath=str(path))
    if frames:
        scene.frame_start = 0
        scene.frame_end = frames - 1
    return doc


if __name__ == "__main__":
    args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    for p in args:
        load(p)
