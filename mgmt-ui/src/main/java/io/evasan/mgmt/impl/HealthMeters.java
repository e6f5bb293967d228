package io.evasan.mgmt.impl;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The health model as metrics: one gauge {@code evasan_health_state{kind,id,name}} per object (0 OK, 1 DEGRADED,
 * 2 FAILED), {@code evasan_health_lost_blocks{kind,id,name}} per LUN or snapshot (blocks that read 03/11/00), and
 * {@code evasan_health_objects{state}} (how many objects are in each state). {@link #sync} (run before each
 * /metrics scrape) takes one health body and sets every gauge from it.
 *
 * <p>Invariant: after {@link #sync} there is exactly one state gauge per object of that body; the gauges of
 * objects that disappeared are removed.
 */
public final class HealthMeters {
    private final MeterRegistry registry;
    private final Supplier<JsonObject> health;
    private final Map<String, Tracked> perObject = new HashMap<>();
    private final Map<String, AtomicLong> counts = new HashMap<>();

    /** One object's two gauges and the values they read. */
    private record Tracked(AtomicLong state, Gauge stateGauge, AtomicLong lost, Gauge lostGauge) {
    }

    /** @param health the GET /api/health body, built at the call */
    public HealthMeters(MeterRegistry registry, Supplier<JsonObject> health) {
        this.registry = registry;
        this.health = health;
        for (String s : new String[]{"OK", "DEGRADED", "FAILED"}) {
            AtomicLong n = new AtomicLong();
            counts.put(s, n);
            Gauge.builder("evasan.health.objects", n, AtomicLong::get).strongReference(true).tag("state", s)
                    .description("objects of the array in this health state").register(registry);
        }
    }

    /** Sets every gauge from a health body taken now; returns how many objects it has. */
    public synchronized int sync() {
        JsonObject body = health.get();
        Set<String> seen = new HashSet<>();
        Map<String, Long> n = new HashMap<>();
        for (Object x : body.getJsonArray("objects")) {
            JsonObject o = (JsonObject) x;
            String kind = o.getString("kind");
            String id = o.getString("id");
            String name = o.getString("name");
            String key = kind + "\u0000" + id + "\u0000" + name;
            seen.add(key);
            Tracked g = perObject.computeIfAbsent(key, k -> register(kind, id, name));
            g.state().set(level(o.getString("state")));
            g.lost().set(o.getLong("lostBlocks", 0L));
            n.merge(o.getString("state"), 1L, Long::sum);
        }
        for (Map.Entry<String, AtomicLong> e : counts.entrySet()) {
            e.getValue().set(n.getOrDefault(e.getKey(), 0L));
        }
        perObject.entrySet().removeIf(e -> {
            if (seen.contains(e.getKey())) {
                return false;
            }
            registry.remove(e.getValue().stateGauge());
            registry.remove(e.getValue().lostGauge());
            return true;
        });
        return seen.size();
    }

    private Tracked register(String kind, String id, String name) {
        AtomicLong state = new AtomicLong();
        AtomicLong lost = new AtomicLong();
        Gauge gs = Gauge.builder("evasan.health.state", state, AtomicLong::get).strongReference(true)
                .tags("kind", kind, "id", id, "name", name)
                .description("health of one object: 0 OK, 1 DEGRADED, 2 FAILED").register(registry);
        Gauge gl = Gauge.builder("evasan.health.lost.blocks", lost, AtomicLong::get).strongReference(true)
                .tags("kind", kind, "id", id, "name", name)
                .description("512-byte blocks of the object that read 03/11/00 (data lost)").register(registry);
        return new Tracked(state, gs, lost, gl);
    }

    static long level(String state) {
        switch (state) {
            case "OK":
                return 0;
            case "DEGRADED":
                return 1;
            default:
                return 2;
        }
    }
}
