// The overview's chart: visitors and page views over the period, drawn by Recharts (MIT), loaded
// on its own (React.lazy) so the dashboard's first load does not carry it. The same numbers are in
// the table next to it (TrafficOverview), for screen readers and exact values.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface ChartPoint {
  label: string;
  /** The full date, for the tooltip. */
  title: string;
  visitors: number;
  pageviews: number;
}

export default function StatsChart({ points }: { points: ChartPoint[] }) {
  return (
    <ResponsiveContainer width="100%" height={240}>
      <LineChart data={points} margin={{ top: 8, right: 12, bottom: 0, left: -12 }}>
        <CartesianGrid stroke="#e6e9ef" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#5b6576' }} tickLine={false} axisLine={{ stroke: '#dde1e8' }} minTickGap={24} />
        <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: '#5b6576' }} tickLine={false} axisLine={false} width={48} />
        <Tooltip
          labelFormatter={(_label, payload) => (payload?.[0]?.payload as ChartPoint | undefined)?.title ?? String(_label)}
          contentStyle={{ borderRadius: 8, borderColor: '#dde1e8' }}
        />
        <Legend verticalAlign="top" height={28} iconType="plainline" />
        <Line type="monotone" dataKey="visitors" name="Visitors" stroke="#2557d6" strokeWidth={2} dot={false} isAnimationActive={false} />
        <Line
          type="monotone"
          dataKey="pageviews"
          name="Page views"
          stroke="#7a8aa8"
          strokeWidth={2}
          strokeDasharray="4 3"
          dot={false}
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
