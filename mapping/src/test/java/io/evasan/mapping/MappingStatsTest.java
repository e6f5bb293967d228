package io.evasan.mapping;

import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** MappingStats: every meter exists right after open and moves with the metadata paths. */
class MappingStatsTest {
    @ParameterizedTest
    @ValueSource(strings = {"evasan.mapping.rseg.allocations", "evasan.mapping.rseg.frees", "evasan.mapping.rstore.allocations",
            "evasan.mapping.rstore.frees", "evasan.mapping.space.allocation.failures", "evasan.mapping.snapshot.disks",
            "evasan.mapping.pldmc.checkpoints", "evasan.mapping.pldmc.records", "evasan.mapping.open",
            "evasan.mapping.luns", "evasan.mapping.segments.held", "evasan.mapping.rstores", "evasan.mapping.memory.bytes",
            "evasan.mapping.pldmc.bytes"})
    void shouldRegisterEveryMeterUpFront(String name, @TempDir Path d) {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        try (Pool p = TestPools.openOrCreate(d.resolve("pool"), 1, 32);
             Mapping m = Mappings.open(p, d.resolve("state"), MappingOptions.defaults().withRegistry(r))) {
            assertNotNull(r.find(name).meter(), name);
        }
    }

    @Test
    void shouldCountAllocationsAndFrees(@TempDir Path d) {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        try (Pool p = TestPools.openOrCreate(d.resolve("pool"), 1, 32);
             Mapping m = Mappings.open(p, d.resolve("state"), MappingOptions.defaults().withRegistry(r))) {
            LogicalDisk lun = m.create("a", 4 << 20, RaidLevel.RAID0);
            lun.write(0, ByteBuffer.allocate(512));
            lun.write(1 << 20, ByteBuffer.allocate(512));
            assertEquals(2, m.stats().rsegAllocations());
            assertEquals(1, m.stats().rstoreAllocations());
            assertEquals(2, r.get("evasan.mapping.segments.held").gauge().value());
            assertEquals(1, r.get("evasan.mapping.luns").gauge().value());
            assertTrue(r.get("evasan.mapping.memory.bytes").gauge().value() >= 8192);
            lun.unmap(0, 2 << 20);
            assertEquals(2, m.stats().rsegFrees());
            assertEquals(1, m.stats().rstoreFrees());
            assertEquals(0, r.get("evasan.mapping.rstores").gauge().value());
        }
    }
}
