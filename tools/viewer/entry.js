// What crates/serve/web/app.js imports from three.js, re-exported so esbuild keeps only these
// (and what they need). Add a name here when app.js needs one, then run bundle.sh.
export {
  AnimationMixer, Box3, BufferGeometry, Color, DirectionalLight, Float32BufferAttribute,
  HemisphereLight, LineBasicMaterial, LineSegments, PerspectiveCamera, Quaternion, Scene,
  SRGBColorSpace, Vector3, WebGLRenderer,
} from 'three';
export { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
export { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
