package io.evasan.scsi.target;

import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-LU meter sets: one per LU, named by the owner's choice, removed exactly. */
class ScsiStatsTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final ScsiStats stats = new ScsiStats(registry);

    @Test
    void shouldRemoveExactlyTheMetersOfTheRemovedLu() {
        MemoryLogicalUnit lx = new MemoryLogicalUnit("x", 64);
        MemoryLogicalUnit ly = new MemoryLogicalUnit("y", 64);
        ScsiStats.LuStats x = stats.register(lx);
        ScsiStats.LuStats y = stats.register(ly);
        assertSame(x, stats.register(lx), "one set per LU");
        x.recordRead(4096, 1_000);
        x.recordWrite(512, 2_000);
        y.recordRead(1024, 3_000);
        assertEquals(2, registry.find("evasan.lun.reads").meters().size(), "one reads counter per LU");
        long yMeters = tagged(registry, "y");
        assertTrue(yMeters >= 7, "seven meters (and a registry's synthetic histogram gauges) per LU: " + yMeters);
        assertEquals(yMeters, tagged(registry, "x"));
        stats.remove(lx);
        assertNull(stats.of(lx));
        assertEquals(0, tagged(registry, "x"), "no meter of x left (synthetic ones included)");
        assertEquals(yMeters, tagged(registry, "y"));
        assertEquals(1.0, registry.find("evasan.lun.reads").tag("lun", "y").counter().count());
        assertEquals(1024.0, registry.find("evasan.lun.read.bytes").tag("lun", "y").counter().count());
        assertEquals(3_000.0, y.readLatency().totalTime(TimeUnit.NANOSECONDS));
    }

    @Test
    void shouldTagAnLuWithTheOwnersMeterName() {
        MemoryLogicalUnit lun = new MemoryLogicalUnit("s", 64);
        MemoryLogicalUnit snap = new MemoryLogicalUnit("s", 64);
        stats.register(lun);
        stats.register(snap, "s#snapshot");
        assertEquals("s#snapshot", stats.register(snap).lunName(), "a registered LU keeps its name");
        stats.of(snap).recordWrite(512, 1);
        assertEquals(0.0, registry.find("evasan.lun.writes").tag("lun", "s").counter().count());
        assertEquals(1.0, registry.find("evasan.lun.writes").tag("lun", "s#snapshot").counter().count());
        stats.removeAll();
        assertTrue(registry.getMeters().isEmpty(), registry.getMeters().toString());
    }

    static long tagged(MeterRegistry registry, String lun) {
        return registry.getMeters().stream().filter(m -> lun.equals(m.getId().getTag("lun"))).count();
    }
}
