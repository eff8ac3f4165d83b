/**
 * Counters and histograms that cost one typed-array increment per query and become Prometheus
 * samples only when scraped. prom-client's own Counter/Histogram hash a label object on every
 * `inc`/`observe`, which measured as a large share of the per-query time at tens of thousands of
 * queries a second; here every label combination is a fixed slot chosen by small integer indexes.
 * The objects satisfy the shape prom-client's Registry (and its cluster AggregatorRegistry, which
 * sums the workers' samples) reads: `name`, `help`, `type`, `aggregator` and `get()`.
 */
import type { Metric, MetricValue, Registry } from 'prom-client';

type Labels = Record<string, string | number>;

interface MetricValues {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: (MetricValue<string> & { metricName?: string })[];
}

/** Dimensions of a metric: each is a list of label values, addressed by position. */
export interface Dimension {
  label: string;
  values: readonly string[];
}

abstract class LazyMetric {
  readonly aggregator = 'sum' as const;
  protected readonly size: number;

  constructor(readonly name: string, readonly help: string, protected readonly fixed: Labels, protected readonly dims: readonly Dimension[]) {
    this.size = dims.reduce((n, d) => n * d.values.length, 1);
  }

  /** The slot of one combination of dimension positions (row-major). */
  slot(...pos: number[]): number {
    let s = 0;
    for (let i = 0; i < this.dims.length; i++) s = s * this.dims[i]!.values.length + pos[i]!;
    return s;
  }

  protected labelsOf(slot: number): Labels {
    const pos: number[] = [];
    for (let i = this.dims.length - 1; i >= 0; i--) {
      const n = this.dims[i]!.values.length;
      pos[i] = slot % n;
      slot = Math.floor(slot / n);
    }
    const out: Labels = { ...this.fixed };
    this.dims.forEach((d, i) => (out[d.label] = d.values[pos[i]!]!));
    return out;
  }

  abstract get(): Promise<MetricValues>;

  /** Adds this metric to a prom-client registry (scraped with the others). */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** A counter over fixed label dimensions; only non-zero combinations are exported. */
export class LazyCounter extends LazyMetric {
  readonly type = 'counter' as const;
  readonly counts: Float64Array;

  constructor(name: string, help: string, fixed: Labels, dims: readonly Dimension[]) {
    super(name, help, fixed, dims);
    this.counts = new Float64Array(this.size);
  }

  async get(): Promise<MetricValues> {
    const values: MetricValues['values'] = [];
    for (let s = 0; s < this.size; s++) if (this.counts[s]! > 0) values.push({ labels: this.labelsOf(s), value: this.counts[s]! });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** A histogram over fixed label dimensions and fixed upper bounds. */
export class LazyHistogram extends LazyMetric {
  readonly type = 'histogram' as const;
  /** Per slot, the count of observations in each bucket (not cumulative) plus one for +Inf. */
  private readonly buckets: Float64Array;
  private readonly sums: Float64Array;
  private readonly nb: number;

  constructor(name: string, help: string, fixed: Labels, dims: readonly Dimension[], private readonly bounds: readonly number[]) {
    super(name, help, fixed, dims);
    this.nb = bounds.length + 1;
    this.buckets = new Float64Array(this.size * this.nb);
    this.sums = new Float64Array(this.size);
  }

  observe(slot: number, v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.buckets[slot * this.nb + i]!++;
    this.sums[slot]! += v;
  }

  async get(): Promise<MetricValues> {
    const values: MetricValues['values'] = [];
    for (let s = 0; s < this.size; s++) {
      let total = 0;
      for (let i = 0; i < this.nb; i++) total += this.buckets[s * this.nb + i]!;
      if (total === 0) continue;
      const labels = this.labelsOf(s);
      let acc = 0;
      for (let i = 0; i < this.nb; i++) {
        acc += this.buckets[s * this.nb + i]!;
        values.push({ labels: { ...labels, le: i < this.bounds.length ? this.bounds[i]! : '+Inf' }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels, value: this.sums[s]!, metricName: `${this.name}_sum` });
      values.push({ labels, value: total, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
