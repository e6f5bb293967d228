package io.evasan.nsc.cell.heartbeat;

/**
 * A change of the partner's state, as one {@link PartnerMonitor} saw it. Times are the monitor's
 * monotonic clock in nanoseconds.
 *
 * @param self             this controller ("A")
 * @param partner          the partner ("B")
 * @param from             state before
 * @param to               state after
 * @param atNanos          when the change was decided
 * @param lastEvidenceNanos send time of the newest ping the partner answered (the start time when none was)
 * @param lastReplyNanos   when the newest reply arrived, -1 when none did
 */
public record PartnerEvent(String self, String partner, PartnerState from, PartnerState to, long atNanos,
                           long lastEvidenceNanos, long lastReplyNanos) {
    /** Time without evidence of life at the change, ms. */
    public double silenceMillis() {
        return (atNanos - lastEvidenceNanos) / 1e6;
    }

    @Override
    public String toString() {
        return self + " sees " + partner + " " + from + " -> " + to + String.format(" (%.1f ms since the newest answered ping)",
                silenceMillis());
    }
}
