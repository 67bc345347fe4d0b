/** The benchmark process's own peak RSS, polled every 10 ms (the kernel's VmHWM cannot be reset per phase). */
export class PeakRss {
  private value = process.memoryUsage.rss();
  private readonly timer = setInterval(() => {
    this.value = Math.max(this.value, process.memoryUsage.rss());
  }, 10);

  get bytes(): number {
    return this.value;
  }

  /** Starts a new phase: the peak from now on. */
  reset(): void {
    this.value = process.memoryUsage.rss();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
