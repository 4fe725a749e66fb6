// duologue viewer: both animated heads of a result (the project's own .glb, DESIGN §6) in
// three.js, in sync with the recording, with the preview's camera presets, an orbit camera, the
// speaker masks on a scrubbable timeline, gaze rays on demand and two results side by side.
// Served by `duologue view` / `duologue serve` from 127.0.0.1; three.js is bundled (vendor/).
//
// URL parameters (all optional): results=ID[,ID] (what to show; default the first),
// compare=1 (two panes: the first two results unless `results` names them), preset=two-shot|
// split|front, t=SECONDS (seek there and stay paused), gaze=1. The page writes its state as JSON
// into <pre id="status"> (ready, errors, panes with each mouth's position on the page), which
// the browser test reads.

import {
  AnimationMixer, Box3, BufferGeometry, Color, DirectionalLight, Float32BufferAttribute,
  HemisphereLight, LineBasicMaterial, LineSegments, PerspectiveCamera, Quaternion, Scene, SRGBColorSpace,
  Vector3, WebGLRenderer, GLTFLoader, OrbitControls,
} from './vendor/three.js';

const COLORS = { A: 0x5b9cff, B: 0xff9a3c };
const CSS_COLORS = { A: '#5b9cff', B: '#ff9a3c' };
const FOV = 30; // vertical, degrees
const UP = new Vector3(0, 1, 0);

// ---- errors: anything reported on the console fails the browser test ----
const errors = [];
for (const level of ['error', 'warn']) {
  const original = console[level].bind(console);
  console[level] = (...args) => { errors.push(`${level}: ${args.map(String).join(' ')}`); original(...args); };
}
window.addEventListener('error', (e) => errors.push(`error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => errors.push(`unhandled: ${e.reason}`));

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const state = {
  info: null, results: [], panes: [], preset: params.get('preset') || 'two-shot',
  gaze: params.get('gaze') === '1', duration: 0, ready: false, stage: 'start',
};
const clock = { playing: false, offset: 0, startedAt: 0, audioAt: 0 };
const audio = { ctx: null, buffer: null, source: null, live: false, url: null };

function message(text) { $('message').textContent = text || ''; }

async function json(url, options) {
  const res = await fetch(url, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${url}: HTTP ${res.status}`);
  return body;
}

// ---- time ----
function now() {
  if (!clock.playing) return clock.offset;
  const dt = audio.live ? audio.ctx.currentTime - clock.audioAt : (performance.now() - clock.startedAt) / 1000;
  return clock.offset + dt;
}

function startAudio(t) {
  if (!audio.buffer) return;
  audio.source = audio.ctx.createBufferSource();
  audio.source.buffer = audio.buffer;
  audio.source.connect(audio.ctx.destination);
  audio.source.start(0, Math.min(t, audio.buffer.duration));
  clock.audioAt = audio.ctx.currentTime;
}

function stopAudio() {
  if (audio.source) { try { audio.source.stop(); } catch (_) { /* never started */ } audio.source = null; }
}

async function play() {
  if (clock.playing) return;
  if (clock.offset >= state.duration - 1e-3) clock.offset = 0;
  if (audio.ctx && audio.ctx.state === 'suspended') await audio.ctx.resume().catch(() => {});
  audio.live = !!(audio.buffer && audio.ctx.state === 'running');
  if (audio.live) startAudio(clock.offset);
  clock.startedAt = performance.now();
  clock.playing = true;
  $('play').textContent = 'pause';
}

function pause() {
  if (!clock.playing) return;
  clock.offset = Math.min(now(), state.duration);
  clock.playing = false;
  stopAudio();
  $('play').textContent = 'play';
}

function seek(t) {
  const playing = clock.playing;
  if (playing) pause();
  clock.offset = Math.max(0, Math.min(t, state.duration));
  if (playing) play();
}

// ---- loading a result into a pane ----
function findNode(root, name) {
  let found = null;
  root.traverse((o) => { if (!found && o.name === name) found = o; });
  return found;
}

// Indices of the vertices that move most with the jaw: the lips and chin, whose centroid is the
// mouth the test looks at.
function mouthVertices(mesh) {
  const names = mesh.morphTargetDictionary || {};
  const pick = Object.keys(names).find((n) => /jaw/i.test(n));
  const index = pick !== undefined ? names[pick] : 0;
  const target = (mesh.geometry.morphAttributes.position || [])[index];
  if (!target) return [];
  const moved = [];
  const rel = mesh.geometry.morphTargetsRelative;
  const base = mesh.geometry.attributes.position;
  for (let i = 0; i < target.count; i++) {
    const dx = target.getX(i) - (rel ? 0 : base.getX(i));
    const dy = target.getY(i) - (rel ? 0 : base.getY(i));
    const dz = target.getZ(i) - (rel ? 0 : base.getZ(i));
    moved.push([dx * dx + dy * dy + dz * dz, i]);
  }
  moved.sort((a, b) => b[0] - a[0]);
  return moved.slice(0, 40).map((m) => m[1]);
}

async function loadPane(result, el) {
  const meta = await json(`api/results/${result.id}/meta`);
  const gltf = await new GLTFLoader().loadAsync(`api/results/${result.id}/glb`);
  const scene = new Scene();
  scene.background = new Color(0x23272f);
  scene.add(new HemisphereLight(0xdde6ff, 0x3a3030, 1.6));
  const key = new DirectionalLight(0xffffff, 2.2);
  key.position.set(1.5, 2.5, 3);
  scene.add(key);
  const back = new DirectionalLight(0xffffff, 1.2);
  back.position.set(-2, 1.5, -3);
  scene.add(back);
  scene.add(gltf.scene);
  const mixer = new AnimationMixer(gltf.scene);
  for (const clip of gltf.animations) mixer.clipAction(clip).play();
  const people = {};
  for (const name of meta.people) {
    const mesh = findNode(gltf.scene, `${name}_head_mesh`);
    const skinned = mesh && (mesh.isSkinnedMesh || mesh.isMesh) ? mesh : mesh && mesh.children.find((c) => c.isMesh);
    people[name] = {
      head: findNode(gltf.scene, `${name}_head`),
      eyes: [findNode(gltf.scene, `${name}_left_eye`), findNode(gltf.scene, `${name}_right_eye`)],
      mesh: skinned,
      mouth: skinned ? mouthVertices(skinned) : [],
    };
  }
  const gazeGeometry = new BufferGeometry();
  gazeGeometry.setAttribute('position', new Float32BufferAttribute(new Float32Array(meta.people.length * 12), 3));
  const gazeColors = [];
  for (const name of meta.people) {
    const c = new Color(COLORS[name] || 0xffffff);
    for (let i = 0; i < 4; i++) gazeColors.push(c.r, c.g, c.b);
  }
  gazeGeometry.setAttribute('color', new Float32BufferAttribute(gazeColors, 3));
  const gaze = new LineSegments(gazeGeometry, new LineBasicMaterial({ vertexColors: true }));
  gaze.frustumCulled = false;
  scene.add(gaze);

  const renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.outputColorSpace = SRGBColorSpace;
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  el.appendChild(renderer.domElement);
  const label = document.createElement('div');
  label.className = 'label';
  label.textContent = result.name;
  el.appendChild(label);
  const camera = new PerspectiveCamera(FOV, 1, 0.02, 100);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = false;
  const pane = {
    result, meta, el, scene, mixer, people, gaze, renderer, camera, controls,
    closeUps: {}, duration: meta.frames / meta.fps,
  };
  mixer.setTime(0);
  gltf.scene.updateMatrixWorld(true);
  pane.rest = restPoses(pane);
  return pane;
}

// Where each face is and where it looks at rest (frame 0), in the glTF world.
function restPoses(pane) {
  const rest = {};
  for (const [name, p] of Object.entries(pane.people)) {
    const eyes = p.eyes.filter(Boolean).map((e) => e.getWorldPosition(new Vector3()));
    const head = p.head.getWorldPosition(new Vector3());
    const face = eyes.length ? eyes.reduce((a, b) => a.add(b), new Vector3()).multiplyScalar(1 / eyes.length) : head.clone();
    face.y -= 0.03; // between the eyes and the mouth
    const forward = new Vector3(0, 0, 1).applyQuaternion(p.head.getWorldQuaternion(new Quaternion()));
    forward.y = 0;
    if (forward.lengthSq() < 1e-6) forward.set(0, 0, 1);
    forward.normalize();
    rest[name] = { face, forward };
  }
  return rest;
}

// ---- cameras: the preview's presets (crates/render/README.md) ----
function aspectOf(el, split) {
  const w = Math.max(1, el.clientWidth / (split ? 2 : 1));
  return w / Math.max(1, el.clientHeight);
}

function fit(halfWidth, halfHeight, aspect) {
  const tv = Math.tan((FOV * Math.PI) / 360);
  return Math.max(halfHeight / tv, halfWidth / (tv * aspect));
}

function placeCamera(pane) {
  const names = Object.keys(pane.rest);
  const faces = names.map((n) => pane.rest[n]);
  const aspect = aspectOf(pane.el, state.preset === 'split');
  const centre = faces.reduce((a, f) => a.add(f.face), new Vector3()).multiplyScalar(1 / faces.length);
  const cam = pane.camera;
  cam.aspect = aspect;
  if (state.preset === 'front' || faces.length < 2) {
    const box = new Box3().setFromPoints(faces.map((f) => f.face));
    const size = box.getSize(new Vector3());
    const d = fit(size.x / 2 + 0.25, size.y / 2 + 0.25, aspect);
    cam.position.set(centre.x, centre.y, box.max.z + d);
  } else {
    const [a, b] = faces;
    const d = new Vector3().subVectors(b.face, a.face);
    const across = Math.hypot(d.x, d.z);
    let n = across > 1e-3 ? new Vector3(-d.z, 0, d.x).multiplyScalar(1 / across) : new Vector3(0, 0, 1);
    // Stand on the side the faces turn to (the preview's rule; A is on the left for +n).
    if (a.forward.clone().add(b.forward).dot(n) < -1e-3) n.negate();
    const dist = fit(across / 2 + 0.22, Math.abs(d.y) / 2 + 0.22, aspect);
    cam.position.copy(centre).addScaledVector(n, dist);
  }
  cam.up.copy(UP);
  cam.lookAt(centre);
  cam.updateProjectionMatrix();
  pane.controls.target.copy(centre);
  pane.controls.update();
  pane.closeUps = {};
  for (const n of names) {
    const r = pane.rest[n];
    const c = new PerspectiveCamera(FOV, aspectOf(pane.el, true), 0.02, 100);
    c.position.copy(r.face).addScaledVector(r.forward, 0.6);
    c.lookAt(r.face);
    c.updateProjectionMatrix();
    pane.closeUps[n] = c;
  }
  pane.controls.enabled = state.preset !== 'split';
}

// ---- per frame ----
const tmp = new Vector3();

function updateGaze(pane) {
  const pos = pane.gaze.geometry.attributes.position;
  let i = 0;
  for (const p of Object.values(pane.people)) {
    for (const eye of p.eyes) {
      if (!eye) { i += 2; continue; }
      const from = eye.getWorldPosition(new Vector3());
      const dir = tmp.set(0, 0, 1).applyQuaternion(eye.getWorldQuaternion(new Quaternion()));
      const to = from.clone().addScaledVector(dir, 1.5);
      pos.setXYZ(i++, from.x, from.y, from.z);
      pos.setXYZ(i++, to.x, to.y, to.z);
    }
  }
  pos.needsUpdate = true;
  pane.gaze.visible = state.gaze;
}

function mouthWorld(p) {
  if (!p.mesh || !p.mouth.length) return null;
  const sum = new Vector3();
  const v = new Vector3();
  for (const i of p.mouth) {
    p.mesh.getVertexPosition(i, v);
    sum.add(p.mesh.localToWorld(v));
  }
  return sum.multiplyScalar(1 / p.mouth.length);
}

function resize(pane) {
  const { clientWidth: w, clientHeight: h } = pane.el;
  const c = pane.renderer.domElement;
  if (c.width !== Math.floor(w * pane.renderer.getPixelRatio()) || c.height !== Math.floor(h * pane.renderer.getPixelRatio())) {
    pane.renderer.setSize(w, h, false);
    placeCamera(pane);
  }
}

function render(pane, t) {
  resize(pane);
  pane.mixer.setTime(Math.min(t, pane.duration - 1e-4));
  pane.scene.updateMatrixWorld(true);
  updateGaze(pane);
  const { clientWidth: w, clientHeight: h } = pane.el;
  const r = pane.renderer;
  if (state.preset === 'split' && Object.keys(pane.closeUps).length > 1) {
    r.setScissorTest(true);
    Object.values(pane.closeUps).forEach((cam, i) => {
      r.setViewport(i * w / 2, 0, w / 2, h);
      r.setScissor(i * w / 2, 0, w / 2, h);
      r.render(pane.scene, cam);
    });
    r.setScissorTest(false);
    r.setViewport(0, 0, w, h);
  } else {
    pane.controls.update();
    r.render(pane.scene, pane.camera);
  }
}

// Each mouth's position on the page (CSS pixels) in the current view.
function mouthsOnPage(pane) {
  const box = pane.el.getBoundingClientRect();
  const out = {};
  const names = Object.keys(pane.people);
  names.forEach((name, i) => {
    const m = mouthWorld(pane.people[name]);
    if (!m) return;
    const split = state.preset === 'split' && names.length > 1;
    const cam = split ? pane.closeUps[name] : pane.camera;
    const ndc = m.clone().project(cam);
    const w = split ? box.width / 2 : box.width;
    const x0 = box.left + (split ? i * w : 0);
    out[name] = [x0 + ((ndc.x + 1) / 2) * w, box.top + ((1 - ndc.y) / 2) * box.height];
  });
  return out;
}

function report() {
  if (!state.panes.every((p) => p.meta)) return;
  const t = now();
  $('status').textContent = JSON.stringify({
    ready: state.ready, stage: state.stage, errors, t, preset: state.preset, duration: state.duration,
    audio: !!audio.buffer, viewport: [innerWidth, innerHeight],
    panes: state.panes.map((p) => ({ id: p.result.id, name: p.result.name, frames: p.meta.frames, fps: p.meta.fps, mouths: mouthsOnPage(p) })),
  });
}

// ---- timeline ----
function drawTimeline() {
  const c = $('timeline');
  const w = c.clientWidth, h = c.clientHeight;
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  const g = c.getContext('2d');
  g.fillStyle = '#101318';
  g.fillRect(0, 0, w, h);
  const pane = state.panes[0];
  if (pane) {
    const names = pane.meta.people;
    const rowH = h / names.length;
    names.forEach((name, r) => {
      const mask = pane.meta.masks[r] || [];
      g.fillStyle = CSS_COLORS[name] || '#ccc';
      for (let x = 0; x < w; x++) {
        const k = Math.floor((x / w) * mask.length);
        const v = mask[k] || 0;
        g.globalAlpha = 0.1 + 0.9 * Math.max(0, Math.min(1, v));
        g.fillRect(x, r * rowH + 3, 1, rowH - 6);
      }
      g.globalAlpha = 1;
      g.fillStyle = '#e8e8e8';
      g.font = '11px system-ui';
      g.fillText(name, 3, r * rowH + rowH / 2 + 4);
    });
  }
  const x = state.duration > 0 ? (now() / state.duration) * w : 0;
  g.fillStyle = '#fff';
  g.fillRect(Math.round(x) - 1, 0, 2, h);
  $('time').textContent = `${now().toFixed(2)} / ${state.duration.toFixed(2)} s`;
}

function frame() {
  let t = now();
  if (clock.playing && t >= state.duration) {
    // Loop: start again from the beginning.
    pause();
    clock.offset = 0;
    play();
    t = 0;
  }
  for (const pane of state.panes) render(pane, t);
  drawTimeline();
  report();
  requestAnimationFrame(frame);
}

// ---- building the page ----
async function loadAudio(result) {
  stopAudio();
  audio.buffer = null;
  if (!result.audio) return;
  try {
    audio.ctx = audio.ctx || new AudioContext();
    const bytes = await (await fetch(`api/results/${result.id}/audio`)).arrayBuffer();
    audio.buffer = await audio.ctx.decodeAudioData(bytes);
  } catch (e) {
    message(`audio could not be played: ${e.message || e}`);
  }
}

async function show(ids) {
  pause();
  state.ready = false;
  for (const p of state.panes) { p.renderer.dispose(); p.controls.dispose(); }
  state.panes = [];
  const stage = $('stage');
  stage.replaceChildren();
  const chosen = ids.map((id) => state.results.find((r) => r.id === id)).filter(Boolean);
  for (const result of chosen) {
    const el = document.createElement('div');
    el.className = 'pane';
    stage.appendChild(el);
    state.stage = `loading ${result.name}`;
    state.panes.push(await loadPane(result, el));
  }
  state.stage = 'audio';
  state.duration = Math.max(0, ...state.panes.map((p) => p.duration));
  for (const p of state.panes) placeCamera(p);
  await loadAudio(chosen[0] || {});
  clock.offset = Math.min(clock.offset, state.duration);
  setPresetButtons();
  state.stage = 'ready';
  state.ready = true;
}

function setPresetButtons() {
  for (const b of document.querySelectorAll('#presets button')) b.classList.toggle('on', b.dataset.preset === state.preset);
  $('gaze').classList.toggle('on', state.gaze);
}

function fillSelects() {
  for (const id of ['result', 'other']) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren(...state.results.map((r) => new Option(r.name, r.id)));
    if (keep && state.results.some((r) => r.id === keep)) sel.value = keep;
  }
}

function currentIds() {
  const ids = [$('result').value];
  if ($('compare').checked && $('other').value) ids.push($('other').value);
  return ids;
}

async function refreshResults() {
  state.results = (await json('api/results')).results;
  fillSelects();
}

function wire() {
  $('play').onclick = () => (clock.playing ? pause() : play());
  document.addEventListener('keydown', (e) => {
    if (e.code === 'Space' && e.target.tagName !== 'INPUT') { e.preventDefault(); clock.playing ? pause() : play(); }
  });
  for (const b of document.querySelectorAll('#presets button')) {
    b.onclick = () => { state.preset = b.dataset.preset; state.panes.forEach(placeCamera); setPresetButtons(); };
  }
  $('gaze').onclick = () => { state.gaze = !state.gaze; setPresetButtons(); };
  $('result').onchange = () => show(currentIds()).catch(fail);
  $('other').onchange = () => $('compare').checked && show(currentIds()).catch(fail);
  $('compare').onchange = () => show(currentIds()).catch(fail);
  const tl = $('timeline');
  const scrub = (e) => {
    const box = tl.getBoundingClientRect();
    seek(((e.clientX - box.left) / box.width) * state.duration);
  };
  let dragging = false;
  tl.addEventListener('pointerdown', (e) => { dragging = true; tl.setPointerCapture(e.pointerId); scrub(e); });
  tl.addEventListener('pointermove', (e) => dragging && scrub(e));
  tl.addEventListener('pointerup', () => { dragging = false; });
  $('upload').addEventListener('submit', (e) => { e.preventDefault(); submitJob(e.target).catch(fail); });
}

// ---- `duologue serve`: new results from uploads ----
const watched = new Map();

async function submitJob(form) {
  const file = form.audio.files[0];
  if (!file) return;
  const q = new URLSearchParams({ layout: form.layout.value, seed: form.seed.value || '0', name: file.name });
  const job = await json(`api/jobs?${q}`, { method: 'POST', body: file });
  watched.set(job.id, job);
  message('');
  pollJobs();
}

async function pollJobs() {
  const list = $('joblist');
  for (const [id] of watched) {
    let job;
    try { job = await json(`api/jobs/${id}`); } catch (e) { watched.delete(id); continue; }
    watched.set(id, job);
    if (['done', 'failed', 'cancelled'].includes(job.state)) {
      watched.delete(id);
      if (job.state === 'done') {
        await refreshResults();
        $('result').value = job.result;
        await show(currentIds());
      }
    }
    let li = document.getElementById(`job-${id}`);
    if (!li) {
      li = document.createElement('li');
      li.id = `job-${id}`;
      list.prepend(li);
    }
    const files = (job.files || []).map((f) => `<a href="${f.url}" download>${f.name}</a>`).join(' ');
    li.innerHTML = `${job.name}: ${job.state} ${job.stage || ''} <progress max="1" value="${job.progress || 0}"></progress> ${job.error ? `<span style="color:#ff8080">${job.error}</span>` : ''} ${files}`;
    if (!['done', 'failed', 'cancelled'].includes(job.state)) {
      const cancel = document.createElement('button');
      cancel.textContent = 'cancel';
      cancel.onclick = () => fetch(`api/jobs/${id}`, { method: 'DELETE' });
      li.appendChild(cancel);
    }
  }
  if (watched.size) setTimeout(pollJobs, 500);
}

function fail(e) {
  message(e.message || String(e));
  console.error(e);
}

async function main() {
  wire();
  requestAnimationFrame(frame);
  state.info = await json('api/info');
  if (state.info.mode === 'serve') document.body.classList.add('serve');
  await refreshResults();
  if (!state.results.length) {
    message(state.info.mode === 'serve' ? 'no results yet: upload a recording below' : 'no results');
    state.ready = true;
    return;
  }
  const wanted = (params.get('results') || '').split(',').filter(Boolean);
  const ids = wanted.length ? wanted : state.results.map((r) => r.id);
  const compare = params.get('compare') === '1' && ids.length > 1;
  $('result').value = ids[0];
  $('compare').checked = compare;
  if (compare) $('other').value = ids[1];
  else if (state.results.length > 1) $('other').value = state.results[1].id;
  await show(compare ? ids.slice(0, 2) : [ids[0]]);
  if (params.has('t')) seek(parseFloat(params.get('t')) || 0);
}

main().catch(fail);
