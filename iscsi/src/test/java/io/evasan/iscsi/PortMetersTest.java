package io.evasan.iscsi;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static io.evasan.iscsi.TestInitiator.Rx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A portal with a meter registry records each completed command in {@code evasan.port.*} tagged with the portal
 * (what the performance history samples per host port), and its meters leave the registry when it stops.
 */
class PortMetersTest {
    static final String IQN = "iqn.2026-01.io.evasan:port-meters";

    @Test
    void shouldMeterReadsAndWritesPerPortalAndRemoveThemAtStop() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RamDiskScsiTarget disk = new RamDiskScsiTarget(1 << 20);
        IscsiTargetServer server = new IscsiTargetServer(IscsiTargetConfig.create().port(0).addTarget(IQN, null, disk)
                .meterRegistry(registry));
        int port = server.start();
        try (TestInitiator t = new TestInitiator(port)) {
            Rx r = t.loginNormal(IQN, new String[]{"HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=8192",
                    "InitialR2T=No", "ImmediateData=Yes", "FirstBurstLength=8192", "MaxBurstLength=16384"});
            assertEquals(0, TestInitiator.statusOf(r), "login status");
            t.send(t.scsiCmd(0x10, false, true, true, 1024, TestInitiator.cdb10(0x2a, 0, 2), false), new byte[1024]);
            t.cmdSN++;
            assertEquals(0x21, t.readSkippingPings(3000).opcode(), "write answered");
            t.send(t.scsiCmd(0x11, true, false, true, 4096, TestInitiator.cdb10(0x28, 0, 8), false), null);
            t.cmdSN++;
            Rx in = t.readSkippingPings(3000);
            while ((in.flags() & 1) == 0) {
                in = t.readSkippingPings(3000);
            }
        }
        Counter reads = registry.find("evasan.port.reads").counter();
        String portal = reads.getId().getTag("portal");
        assertTrue(portal.endsWith(":" + port), portal);
        assertEquals(1.0, reads.count());
        assertEquals(4096.0, registry.find("evasan.port.read.bytes").tag("portal", portal).counter().count());
        assertEquals(1.0, registry.find("evasan.port.writes").tag("portal", portal).counter().count());
        assertEquals(1024.0, registry.find("evasan.port.write.bytes").tag("portal", portal).counter().count());
        assertEquals(1, registry.find("evasan.port.read.latency").tag("portal", portal).timer().count());
        server.stop();
        assertNull(registry.find("evasan.port.reads").counter(), "a stopped portal's meters are removed");
    }
}
