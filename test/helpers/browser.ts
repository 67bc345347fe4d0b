/** Opens a page in the machine's Chromium (Debian's package; `.ci/run` installs it) and reports what it saw. */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PageCheck {
  errors: string[];
  canvases: number;
  chartsDrawn: string | undefined;
  /** The run report's worker deaths marked on its time axes (undefined on other pages). */
  deathsMarked: string | undefined;
  /** The run report's ack stalls marked on the throughput chart (undefined on other pages). */
  ackStallsMarked: string | undefined;
  /** How many canvas pixels are not blank, per canvas (a drawn chart has many). */
  inkedPixels: number[];
  /**
   * The run report's uPlot charts by name (window.harperReplayCharts): each series' label, whether it is shown,
   * how many of its points have a value, and whether the chart's legend lists it. Empty on other pages.
   */
  charts: Record<string, ChartSeries[]>;
  title: string;
}

export interface ChartSeries {
  label: string;
  show: boolean;
  points: number;
  /** Largest value drawn (null: no points). */
  max: number | null;
  inLegend: boolean;
}

export async function openPage(url: string, screenshot?: string): Promise<PageCheck> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1150, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    await page.goto(url, { waitUntil: 'load' });
    // Browser-side code as strings: the project compiles without DOM typings.
    await page
      .waitForFunction('document.body.dataset.chartsDrawn !== undefined', undefined, { timeout: 10_000 })
      .catch(() => {});
    const check = (await page.evaluate(`(() => {
      const canvases = [...document.querySelectorAll('canvas')];
      const inked = canvases.map((canvas) => {
        const context = canvas.getContext('2d');
        if (!context) return 0;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
        return count;
      });
      const charts = {};
      for (const [name, chart] of Object.entries(window.harperReplayCharts ?? {})) {
        const legend = [...chart.root.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent);
        // Series 0 is the x axis.
        charts[name] = chart.series.slice(1).map((s, k) => {
          const values = (chart.data[k + 1] ?? []).filter((v) => v !== null && v !== undefined);
          return {
            label: String(s.label),
            show: s.show !== false,
            points: values.length,
            max: values.length ? Math.max(...values) : null,
            inLegend: legend.includes(String(s.label)),
          };
        });
      }
      return { canvases: canvases.length, chartsDrawn: document.body.dataset.chartsDrawn, deathsMarked: document.body.dataset.deathsMarked, ackStallsMarked: document.body.dataset.ackStallsMarked, inkedPixels: inked, charts, title: document.title };
    })()`)) as Omit<PageCheck, 'errors'>;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, ...check };
  } finally {
    await browser.close();
  }
}

/**
 * The report's external-memory lines, as Chromium drew them: every `external thread N` series of the memory chart,
 * shown, in the legend, with points; and the highest of them, in bytes (null: no such series).
 */
export function externalMemoryDrawn(page: PageCheck): { series: ChartSeries[]; peakBytes: number | null } {
  const series = (page.charts.memory ?? []).filter((s) => s.label.startsWith('external thread '));
  const maxes = series.flatMap((s) => (s.max === null ? [] : [s.max]));
  return { series, peakBytes: maxes.length ? Math.max(...maxes) * 2 ** 20 : null };
}
