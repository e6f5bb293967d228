package io.evasan.mgmt.impl;

import java.util.List;

/**
 * The days until a disk group is full, forecast from its capacity history: the least-squares line through
 * (time, used bytes) gives the growth in bytes per day; the free bytes of the newest point divided by that growth
 * give the days left. Invariant: {@code daysUntilFull} is null exactly when there is no growth to extrapolate
 * (fewer than two points at distinct times, or a slope &le; 0 — "no growth"); otherwise it is &ge; 0.
 *
 * @param growthBytesPerDay the least-squares slope (0 with fewer than two points)
 * @param daysUntilFull     null for "no growth"
 * @param points            how many history points the line was fitted through
 */
public record CapacityForecast(double growthBytesPerDay, Double daysUntilFull, int points) {
    private static final double DAY_MILLIS = 86_400_000.0;

    /** The forecast from {@code history} (any order). */
    public static CapacityForecast of(List<CapacityPoint> history) {
        int n = history.size();
        if (n < 2) {
            return new CapacityForecast(0, null, n);
        }
        long t0 = history.get(0).startMillis();
        double sx = 0;
        double sy = 0;
        for (CapacityPoint p : history) {
            sx += (p.startMillis() - t0) / DAY_MILLIS;
            sy += p.usedBytes();
        }
        double mx = sx / n;
        double my = sy / n;
        double sxy = 0;
        double sxx = 0;
        CapacityPoint newest = history.get(0);
        for (CapacityPoint p : history) {
            double dx = (p.startMillis() - t0) / DAY_MILLIS - mx;
            sxy += dx * (p.usedBytes() - my);
            sxx += dx * dx;
            if (p.startMillis() > newest.startMillis()) {
                newest = p;
            }
        }
        if (sxx == 0) {
            return new CapacityForecast(0, null, n);
        }
        double slope = sxy / sxx;
        if (slope <= 0) {
            return new CapacityForecast(slope, null, n);
        }
        return new CapacityForecast(slope, (newest.capacityBytes() - newest.usedBytes()) / slope, n);
    }

    /** "no growth", or the days left with one decimal. */
    public String text() {
        return daysUntilFull == null ? "no growth" : String.format(java.util.Locale.ROOT, "%.1f days until full", daysUntilFull);
    }
}
