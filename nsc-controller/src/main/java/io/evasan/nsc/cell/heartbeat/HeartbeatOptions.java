package io.evasan.nsc.cell.heartbeat;

/**
 * Settings of one controller's heartbeat.
 *
 * @param self           this controller's name ("A"); it answers pings on {@link PartnerMonitor#address(String)}
 * @param partner        the partner's name ("B")
 * @param intervalMillis a ping every this often (default 100)
 * @param suspectMillis  SUSPECT when the newest answered ping is this old (default 250)
 * @param timeoutMillis  DEAD when the newest answered ping is this old (default 500); a round trip
 *                       below {@code timeout - interval} never makes the partner DEAD
 */
public record HeartbeatOptions(String self, String partner, long intervalMillis, long suspectMillis, long timeoutMillis) {
    public HeartbeatOptions {
        if (self == null || partner == null || self.equals(partner)) {
            throw new IllegalArgumentException("two different controller names: " + self + ", " + partner);
        }
        if (intervalMillis <= 0 || suspectMillis < intervalMillis || timeoutMillis < suspectMillis) {
            throw new IllegalArgumentException("0 < interval <= suspect <= timeout: " + intervalMillis + ", "
                    + suspectMillis + ", " + timeoutMillis + " ms");
        }
    }

    public static HeartbeatOptions defaults(String self, String partner) {
        return new HeartbeatOptions(self, partner, 100, 250, 500);
    }

    public HeartbeatOptions withTimes(long intervalMillis, long suspectMillis, long timeoutMillis) {
        return new HeartbeatOptions(self, partner, intervalMillis, suspectMillis, timeoutMillis);
    }
}
