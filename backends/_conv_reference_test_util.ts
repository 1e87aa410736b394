// Float64 reference convolutions (NHWC, filter [KH, KW, Ci, Co]) for the kernel tests.

/** A convolution's geometry in tfjs's terms. */
export interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pad: "same" | "valid";
}

/** Output size and top/left padding, as tfjs computes them for "same" / "valid". */
export function geometry(c: ConvCase): { oh: number; ow: number; top: number; left: number } {
  if (c.pad === "valid") {
    return {
      oh: Math.ceil((c.h - c.kh + 1) / c.stride[0]),
      ow: Math.ceil((c.w - c.kw + 1) / c.stride[1]),
      top: 0,
      left: 0,
    };
  }
  const oh = Math.ceil(c.h / c.stride[0]);
  const ow = Math.ceil(c.w / c.stride[1]);
  const padH = Math.max(0, (oh - 1) * c.stride[0] + c.kh - c.h);
  const padW = Math.max(0, (ow - 1) * c.stride[1] + c.kw - c.w);
  return { oh, ow, top: Math.floor(padH / 2), left: Math.floor(padW / 2) };
}

/** The case as the blas backend's oneDNN binding describes a convolution (OneDnnConvGeometry). */
export function oneDnnGeometry(c: ConvCase) {
  const { oh, ow, top, left } = geometry(c);
  return {
    batch: c.n,
    inH: c.h,
    inW: c.w,
    inC: c.ci,
    outH: oh,
    outW: ow,
    outC: c.co,
    fh: c.kh,
    fw: c.kw,
    sh: c.stride[0],
    sw: c.stride[1],
    top,
    left,
  };
}

/** Calls `visit(xIndex, wIndex, yIndex)` for every multiply of the convolution. */
function eachTap(c: ConvCase, visit: (xi: number, wi: number, yi: number) => void): void {
  const { oh, ow, top, left } = geometry(c);
  for (let b = 0; b < c.n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let p = 0; p < c.kh; p++) {
          const r = i * c.stride[0] + p - top;
          if (r < 0 || r >= c.h) continue;
          for (let q = 0; q < c.kw; q++) {
            const s = j * c.stride[1] + q - left;
            if (s < 0 || s >= c.w) continue;
            for (let a = 0; a < c.ci; a++) {
              for (let o = 0; o < c.co; o++) {
                visit(
                  ((b * c.h + r) * c.w + s) * c.ci + a,
                  ((p * c.kw + q) * c.ci + a) * c.co + o,
                  ((b * oh + i) * ow + j) * c.co + o,
                );
              }
            }
          }
        }
      }
    }
  }
}

/** y = conv(x, w): sum of x * w over every tap. */
export function convolution(c: ConvCase, x: ArrayLike<number>, w: ArrayLike<number>): number[] {
  const { oh, ow } = geometry(c);
  const out = new Array<number>(c.n * oh * ow * c.co).fill(0);
  eachTap(c, (xi, wi, yi) => out[yi]! += x[xi]! * w[wi]!);
  return out;
}

/** dL/dW for dL/dy = dy: sum of x * dy over every tap. */
export function filterGradient(c: ConvCase, x: ArrayLike<number>, dy: ArrayLike<number>): number[] {
  const out = new Array<number>(c.kh * c.kw * c.ci * c.co).fill(0);
  eachTap(c, (xi, wi, yi) => out[wi]! += x[xi]! * dy[yi]!);
  return out;
}

/** dL/dx for dL/dy = dy: sum of w * dy over every tap. */
export function inputGradient(c: ConvCase, w: ArrayLike<number>, dy: ArrayLike<number>): number[] {
  const out = new Array<number>(c.n * c.h * c.w * c.ci).fill(0);
  eachTap(c, (xi, wi, yi) => out[xi]! += w[wi]! * dy[yi]!);
  return out;
}

/** Largest |got - want| / (1 + |want|). */
export function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  }
  return worst;
}

/** Deterministic values in [-1, 1) from an integer seed (a small LCG; tests only). */
export function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}
