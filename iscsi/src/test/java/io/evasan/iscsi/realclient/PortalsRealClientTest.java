package io.evasan.iscsi.realclient;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.IscsiTargetServer;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * libiscsi against two portals of one target (two portal groups, two relative target ports, over
 * the scsi module's DiskTarget): iscsi-ls discovers both from either and lists the LUN, iscsi-inq
 * reads each portal's own target port from VPD 83h.
 */
class PortalsRealClientTest {

    @Test
    void shouldDiscoverBothPortalsAndReportEachTargetPortWithLibiscsi() throws Exception {
        RealClients.requireTool("iscsi-ls");
        RealClients.requireTool("iscsi-inq");
        PresentationTable table = new PresentationTable();
        table.present(PresentationTable.ALL, 0, MemoryLogicalUnit.ofBytes("lun0", 16L << 20));
        DiskTarget target = new DiskTarget(table);
        IscsiTargetServer a = portal(target, 1);
        IscsiTargetServer b = portal(target, 2);
        try {
            List<IscsiTargetConfig.Portal> both = List.of(new IscsiTargetConfig.Portal("127.0.0.1", a.port(), 1),
                    new IscsiTargetConfig.Portal("127.0.0.1", b.port(), 2));
            a.config().advertisedPortals(both);
            b.config().advertisedPortals(both);
            for (IscsiTargetServer s : List.of(a, b)) {
                RealClients.Run r = RealClients.run(30, "iscsi-ls", "-s", "iscsi://127.0.0.1:" + s.port());
                assertEquals(0, r.exit(), r.output());
                assertTrue(r.output().contains("Target:" + RealClients.IQN + " Portal:127.0.0.1:" + a.port() + ",1"), r.output());
                assertTrue(r.output().contains("Target:" + RealClients.IQN + " Portal:127.0.0.1:" + b.port() + ",2"), r.output());
                assertTrue(r.output().contains("Lun:0"), r.output());
            }
            for (IscsiTargetServer s : List.of(a, b)) {
                // iscsi-inq prints the RELATIVE_TARGET_PORT designator as raw bytes: the port name tells the portal
                RealClients.Run r = RealClients.run(30, "iscsi-inq", "-e", "1", "-c", "131",
                        "iscsi://127.0.0.1:" + s.port() + "/" + RealClients.IQN + "/0");
                assertEquals(0, r.exit(), r.output());
                int tpgt = s.config().portalGroupTag();
                assertTrue(r.output().contains("Designator:[" + RealClients.IQN + ",t,0x000" + tpgt + "]"), r.output());
                assertTrue(r.output().contains("Designator Type:(4) RELATIVE_TARGET_PORT"), r.output());
            }
        } finally {
            a.stop();
            b.stop();
            target.close();
        }
    }

    private static IscsiTargetServer portal(DiskTarget target, int n) {
        IscsiTargetServer s = new IscsiTargetServer(IscsiTargetConfig.create().port(0).portalGroupTag(n)
                .relativeTargetPortId(n).addTarget(RealClients.IQN, "evasan-real", target));
        s.start();
        return s;
    }
}
