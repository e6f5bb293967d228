package io.evasan.fabric.switching;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A zone set (zone configuration): named zones, each a set of member WWPNs. Invariant: immutable;
 * two ports may talk exactly when some zone holds both WWPNs (a port always reaches itself). With
 * no active zone set nothing is zoned: the fabric's default zone is "no access".
 */
public record ZoneSet(String name, Map<String, Set<Long>> zones) {
    public ZoneSet {
        Map<String, Set<Long>> copy = new LinkedHashMap<>();
        zones.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
        zones = java.util.Collections.unmodifiableMap(copy);
    }

    /** True when {@code a} and {@code b} share a zone, or are the same port. */
    public boolean zoned(long a, long b) {
        if (a == b) {
            return true;
        }
        for (Set<Long> members : zones.values()) {
            if (members.contains(a) && members.contains(b)) {
                return true;
            }
        }
        return false;
    }

    /** A builder-style copy with one more zone. */
    public ZoneSet with(String zone, Long... members) {
        Map<String, Set<Long>> z = new LinkedHashMap<>(zones);
        z.put(zone, Set.of(members));
        return new ZoneSet(name, z);
    }

    public static ZoneSet empty(String name) {
        return new ZoneSet(name, Map.of());
    }
}
