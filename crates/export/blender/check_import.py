"""What Blender makes of a duologue .glb, as JSON (used by crates/export/tests/blender.rs).

    blender -b --factory-startup --python-exit-code 1 --python check_import.py -- IN.glb OUT.json F1,F2,...

Imports IN.glb with import_duologue.load, then writes: the scene's frame rate and range, each
imported action's frame range, and per mesh object: its shape-key names, every key's value at
every frame of the clip (as Blender evaluates the animation), and the evaluated world-space
vertex positions at the frames F1, F2, ... (skinning and shape keys applied).
"""

import json
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_duologue  # noqa: E402

args = sys.argv[sys.argv.index("--") + 1 :]
glb, out = args[0], args[1]
picks = [int(x) for x in args[2].split(",")] if len(args) > 2 and args[2] else []

bpy.ops.wm.read_factory_settings(use_empty=True)
import_duologue.load(glb)
scene = bpy.context.scene
meshes = sorted((o for o in scene.objects if o.type == "MESH"), key=lambda o: o.name)
report = {
    "fps": scene.render.fps / scene.render.fps_base,
    "frame_start": scene.frame_start,
    "frame_end": scene.frame_end,
    "actions": {a.name: list(a.frame_range) for a in bpy.data.actions},
    "meshes": {},
}
for o in meshes:
    keys = o.data.shape_keys.key_blocks[1:] if o.data.shape_keys else []
    report["meshes"][o.name] = {
        "keys": [k.name for k in keys],
        "slider": [[k.slider_min, k.slider_max] for k in keys],
        "values": [],
        "vertices": {},
    }
depsgraph = bpy.context.evaluated_depsgraph_get()
for f in range(scene.frame_start, scene.frame_end + 1):
    scene.frame_set(f)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    for o in meshes:
        entry = report["meshes"][o.name]
        keys = o.data.shape_keys.key_blocks[1:] if o.data.shape_keys else []
        entry["values"].append([k.value for k in keys])
        if f in picks:
            ev = o.evaluated_get(depsgraph)
            mesh = ev.to_mesh()
            m = ev.matrix_world
            entry["vertices"][str(f)] = [c for v in mesh.vertices for c in (m @ v.co)]
            ev.to_mesh_clear()
with open(out, "w") as fh:
    json.dump(report, fh)
