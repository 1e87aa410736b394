import cliProgress from "cli-progress";

/** What the loop tells the terminal. */
export interface Progress {
  startStage(name: string, index: number, total: number, done: number): void;
  update(step: number, loss: number, imagesPerSecond: number, epoch: number): void;
  /** A line of its own (kNN results, messages), kept above a bar. */
  note(text: string): void;
  endStage(): void;
}

/**
 * A progress bar (cli-progress) on a terminal, plain periodic lines otherwise (CI logs).
 *
 * @param tty Whether stdout is a terminal.
 * @param write Where plain lines go.
 * @param every Seconds between plain lines.
 */
export function createProgress(
  tty: boolean,
  write: (line: string) => void = console.log,
  every = 10,
): Progress {
  return tty ? new BarProgress() : new LineProgress(write, every);
}

class BarProgress implements Progress {
  #bar: cliProgress.SingleBar | null = null;
  #speed = 0;
  #payload: Record<string, string> = { epoch: "-", loss: "-", speed: "-" };
  #value = 0;
  #total = 0;

  startStage(name: string, index: number, total: number, done: number): void {
    this.#bar = new cliProgress.SingleBar({
      format: `${name} [{bar}] {value}/{total} steps | epoch {epoch} | loss {loss} | ` +
        `{speed} img/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      stopOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    this.#payload = { epoch: "-", loss: "-", speed: "-", stage: String(index) };
    this.#value = done;
    this.#total = total;
    this.#bar.start(total, done, this.#payload);
  }

  update(step: number, loss: number, imagesPerSecond: number, epoch: number): void {
    this.#speed = this.#speed === 0 ? imagesPerSecond : 0.9 * this.#speed + 0.1 * imagesPerSecond;
    this.#payload = {
      ...this.#payload,
      epoch: epoch.toFixed(2),
      loss: loss.toFixed(4),
      speed: this.#speed.toFixed(0),
    };
    this.#value = step;
    this.#bar?.update(step, this.#payload);
  }

  note(text: string): void {
    // cli-progress redraws on the next update; the note goes on its own line above.
    if (this.#bar !== null) {
      this.#bar.stop();
      console.log(text);
      this.#bar.start(this.#total, this.#value, this.#payload);
    } else {
      console.log(text);
    }
  }

  endStage(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}

class LineProgress implements Progress {
  #name = "";
  #total = 0;
  #last = 0;
  #started = 0;
  #firstStep = 0;
  #speed = 0;

  constructor(readonly write: (line: string) => void, readonly every: number) {}

  startStage(name: string, _index: number, total: number, done: number): void {
    this.#name = name;
    this.#total = total;
    this.#started = performance.now();
    this.#last = 0;
    this.#firstStep = done;
    this.write(`${name}: ${total} steps${done > 0 ? `, continuing at step ${done}` : ""}`);
  }

  update(step: number, loss: number, imagesPerSecond: number, epoch: number): void {
    this.#speed = this.#speed === 0 ? imagesPerSecond : 0.9 * this.#speed + 0.1 * imagesPerSecond;
    const now = performance.now();
    if (now - this.#last < this.every * 1000 && step !== this.#total) return;
    this.#last = now;
    const perStep = (now - this.#started) / 1000 / Math.max(1, step - this.#firstStep);
    const eta = Math.round(perStep * (this.#total - step));
    this.write(
      `${this.#name} step ${step}/${this.#total} | epoch ${epoch.toFixed(2)} | ` +
        `loss ${loss.toFixed(4)} | ${this.#speed.toFixed(0)} img/s | ETA ${eta} s`,
    );
  }

  note(text: string): void {
    this.write(text);
  }

  endStage(): void {}
}
