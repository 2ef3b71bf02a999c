// Cases opened per day by channel, drawn by uPlot; loaded only with the
// dashboard so the first load stays small.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Schemas } from "../api/client";

const CHANNELS = ["phone", "email", "chat", "social", "web"] as const;
const COLOURS = ["#1f4fd1", "#0c7a3e", "#a15c00", "#8a1c8a", "#444c55"];

type Props = { from: string; to: string; groups: Schemas["KPIReport"]["groups"] };

export default function Chart({ from, to, groups }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    // Every day of the period, those without cases at zero.
    const byDay = new Map(groups.map((g) => [g.key.slice(0, 10), g]));
    const x: number[] = [];
    for (let t = Date.parse(from); t < Date.parse(to); t += 86_400_000) x.push(t / 1000);
    const at = (t: number) => byDay.get(new Date(t * 1000).toISOString().slice(0, 10));
    const series = CHANNELS.map((ch) => x.map((t) => Number(at(t)?.kpis.volume?.[`opened_${ch}`]?.value ?? 0)));
    const plot = new uPlot(
      {
        width: Math.min(box.current.clientWidth || 900, 1100),
        height: 260,
        series: [{}, ...CHANNELS.map((ch, i) => ({ label: ch, stroke: COLOURS[i], width: 2 }))],
        axes: [{}, { label: "cases" }],
        scales: { x: { time: true } },
      },
      [x, ...series],
      box.current,
    );
    return () => plot.destroy();
  }, [from, to, groups]);
  const total = groups.reduce((n, g) => n + Number(g.kpis.volume?.opened?.value ?? 0), 0);
  return (
    <figure>
      <div ref={box} role="img" aria-label={`Cases opened per day by channel; ${total} in the period`} />
      <figcaption className="muted">{total} cases opened in the period.</figcaption>
    </figure>
  );
}
