// While the camera moves, sigma's last drawing is moved and scaled as a picture (a CSS transform of its layers) and
// sigma draws again when the camera comes to rest — what cytoscape.js calls textureOnViewport, done for sigma.
//
// Why: the profile of a pan over the 1,510-node CRA graph in Chromium without a GPU (bench/11-graph-render.mjs
// --profile) spent ~9 of 12.6 s of the page's main thread in GLES2::ReadPixels: in software compositing every WebGL
// layer sigma redraws is read back to the CPU at each frame, waiting on SwiftShader, whatever sigma draws into it (edges
// and labels were already hidden while moving; JavaScript was under 3 %). Moving a finished picture costs the compositor
// alone. The picture also keeps edges and labels in view while it moves, where hideEdgesOnMove/hideLabelsOnMove blank them.
import type Sigma from 'sigma';
import type { CameraState, MouseCoords } from 'sigma/types';

/** Past these, the moved picture would be too blurred or leave too much of the surface empty: sigma draws anew. */
const MAX_SCALE = 2;
const MAX_SHIFT = 0.5;
/** How often the rest check looks again while sigma still reports movement (its drag timeout is 100 ms). */
const REST_CHECK_MS = 50;

/**
 * Installs the picture mode on a renderer; returns its removal. Sigma's camera listener calls `scheduleRender()` on every
 * camera update, so that public method is wrapped: while moving, the layers (all but the mouse layer, whose position
 * sigma's mouse captor reads) get a transform from the camera state last drawn to the current one.
 */
export function drawAtRest(renderer: Sigma): () => void {
  const camera = renderer.getCamera();
  const mouse = renderer.getMouseCaptor();
  const layers = Object.entries(renderer.getCanvases())
    .filter(([name]) => name !== 'mouse')
    .map(([, canvas]) => canvas);
  // Each layer its own compositor layer, so a new transform is applied by the compositor without repainting the page.
  for (const layer of layers) Object.assign(layer.style, { transformOrigin: '0 0', willChange: 'transform' });
  const schedule = renderer.scheduleRender.bind(renderer);
  let drawn: CameraState | undefined;
  let frame: number | undefined;
  let restTimer: ReturnType<typeof setTimeout> | undefined;

  const moving = () => camera.isAnimated() || mouse.isMoving || mouse.draggedEvents > 0 || mouse.currentWheelDirection !== 0;

  const setTransform = (value: string) => {
    for (const layer of layers) layer.style.transform = value;
  };

  // Whatever sigma drew last (here or from any other call to render) is what the picture shows.
  const onDrawn = () => {
    drawn = camera.getState();
    setTransform('');
  };
  renderer.on('afterRender', onDrawn);

  /** The transform from the drawn camera to the current one (no rotation: the screen never turns the camera). */
  const picture = (): { scale: number; x: number; y: number } | undefined => {
    if (!drawn) return undefined;
    const now = camera.getState();
    const a = { x: drawn.x, y: drawn.y };
    const b = { x: drawn.x + drawn.ratio, y: drawn.y };
    const a0 = renderer.framedGraphToViewport(a, { cameraState: drawn });
    const b0 = renderer.framedGraphToViewport(b, { cameraState: drawn });
    const a1 = renderer.framedGraphToViewport(a, { cameraState: now });
    const b1 = renderer.framedGraphToViewport(b, { cameraState: now });
    const before = Math.hypot(b0.x - a0.x, b0.y - a0.y);
    if (!(before > 0) || drawn.angle !== now.angle) return undefined;
    const scale = Math.hypot(b1.x - a1.x, b1.y - a1.y) / before;
    return { scale, x: a1.x - scale * a0.x, y: a1.y - scale * a0.y };
  };

  const rest = () => {
    restTimer = undefined;
    if (moving()) restTimer = setTimeout(rest, REST_CHECK_MS);
    else schedule();
  };

  // No hit-testing during a drag: sigma's hover listener reads a pixel back from the GPU on every mouse move (a wait of
  // 7–28 ms each on a loaded machine in the profile), to find a node under a pointer that is dragging the whole drawing.
  type MoveListener = Parameters<typeof mouse.on<'mousemove'>>[1];
  let paused: MoveListener[] = [];
  const onDown = (coords: MouseCoords) => {
    if (!('button' in coords.original) || coords.original.button !== 0 || paused.length) return;
    paused = mouse.listeners('mousemove');
    mouse.removeAllListeners('mousemove');
  };
  const onUp = () => {
    for (const listener of paused) mouse.on('mousemove', listener);
    paused = [];
  };
  mouse.on('mousedown', onDown);
  mouse.on('mouseup', onUp);

  renderer.scheduleRender = () => {
    if (!moving() || !drawn) return schedule();
    if (frame === undefined)
      frame = requestAnimationFrame(() => {
        frame = undefined;
        const t = picture();
        const { width, height } = renderer.getDimensions();
        const tooFar =
          !t ||
          t.scale > MAX_SCALE ||
          t.scale < 1 / MAX_SCALE ||
          Math.abs(t.x + ((t.scale - 1) * width) / 2) > MAX_SHIFT * width ||
          Math.abs(t.y + ((t.scale - 1) * height) / 2) > MAX_SHIFT * height;
        if (tooFar) {
          schedule();
          return;
        }
        setTransform(`matrix(${t.scale}, 0, 0, ${t.scale}, ${t.x}, ${t.y})`);
        if (restTimer === undefined) restTimer = setTimeout(rest, REST_CHECK_MS);
      });
    return renderer;
  };

  return () => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    clearTimeout(restTimer);
    renderer.off('afterRender', onDrawn);
    mouse.off('mousedown', onDown);
    mouse.off('mouseup', onUp);
    onUp();
    renderer.scheduleRender = schedule;
    setTransform('');
  };
}
