package io.evasan.sanhost;

import io.evasan.fabric.fcp.FcpTarget;
import io.evasan.fabric.link.InMemoryLink;
import io.evasan.fabric.link.Link;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;
import io.evasan.fabric.switching.FabricSwitch;
import io.evasan.fabric.switching.SwitchListener;
import io.evasan.fabric.switching.ZoneSet;
import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.alua.TargetPortGroup;
import io.evasan.scsi.alua.TargetPortGroups;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.ScsiStats;
import io.evasan.scsi.target.impl.DiskTarget;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A storage cell on a fabric, for tests: a switch (with its TCP listener for sanhost's HBAs), two
 * "controllers" of two FCP target ports each (relative ports 1, 2 in group 1; 3, 4 in group 2)
 * over one {@link DiskTarget} with ALUA, presenting one {@link MemoryLogicalUnit} as LUN 0. The
 * target ports are cabled in memory so a test can pull their cables.
 */
final class SanCell implements AutoCloseable {
    static final long[] TARGET_WWPNS = {0x5000_1FE1_5000_0A01L, 0x5000_1FE1_5000_0A02L, 0x5000_1FE1_5000_0B01L,
            0x5000_1FE1_5000_0B02L};
    static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * One target port group per controller, {@link #PORTS_PER_CONTROLLER} ports each (group g holds
     * relative ports 2g-1 and 2g). Group 1 (controller A) owns the LU at first: active/optimized and
     * preferred; group 2 active/non-optimized.
     */
    static final class Groups implements TargetPortGroups {
        static final int PORTS_PER_CONTROLLER = 2;
        final AccessState[] byGroup = {null, AccessState.ACTIVE_OPTIMIZED, AccessState.ACTIVE_NON_OPTIMIZED};
        volatile int owner = 1;

        @Override
        public int groupOf(int relativeTargetPortId) {
            int g = (relativeTargetPortId - 1) / PORTS_PER_CONTROLLER + 1;
            return g >= 1 && g < byGroup.length ? g : -1;
        }

        @Override
        public List<TargetPortGroup> groups() {
            List<TargetPortGroup> out = new ArrayList<>();
            for (int g = 1; g < byGroup.length; g++) {
                out.add(TargetPortGroup.of(g, 2 * g - 1, 2 * g));
            }
            return out;
        }

        @Override
        public synchronized AccessState state(LogicalUnit lu, int groupId) {
            return byGroup[groupId];
        }

        @Override
        public boolean preferred(LogicalUnit lu, int groupId) {
            return groupId == owner;
        }
    }

    final FabricSwitch fabric = new FabricSwitch(1, 0x1000_0000_0000_0001L);
    final SwitchListener listener;
    final Groups groups = new Groups();
    final MemoryLogicalUnit lu = MemoryLogicalUnit.ofBytes("vdisk1", 16 << 20);
    final DiskTarget disk;
    final List<Link> links = new ArrayList<>();
    final List<NPort> ports = new ArrayList<>();
    final List<FcpTarget> targets = new ArrayList<>();

    SanCell(long... hostWwpns) throws IOException, NPortException {
        PresentationTable table = new PresentationTable();
        table.present(PresentationTable.ALL, 0, lu);
        disk = new DiskTarget(table, new ScsiStats(), 2, 256, groups);
        ZoneSet zones = ZoneSet.empty("cfg");
        for (long h : hostWwpns) {
            Long[] members = new Long[TARGET_WWPNS.length + 1];
            members[0] = h;
            for (int i = 0; i < TARGET_WWPNS.length; i++) {
                members[i + 1] = TARGET_WWPNS[i];
            }
            zones = zones.with("z" + Long.toHexString(h), members);
        }
        fabric.activate(zones);
        for (int i = 0; i < TARGET_WWPNS.length; i++) {
            String name = "nsc-" + (i < 2 ? "a" : "b") + "-" + (i % 2 + 1);
            Link link = new InMemoryLink(name);
            links.add(link);
            NPort p = new NPort(name, TARGET_WWPNS[i], TARGET_WWPNS[i] | 0x0100_0000_0000_0000L, link.a(), false, true, WAIT);
            fabric.attach(link.b());
            ports.add(p);
            targets.add(new FcpTarget(p, disk, i + 1));
            p.fabricLogin();
        }
        listener = new SwitchListener(fabric, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    String fabricAddress() {
        return "127.0.0.1:" + listener.port();
    }

    /** Pulls the cable of target port {@code i} (0..3): the switch logs it out and sends RSCN. */
    void cut(int i) {
        links.get(i).down();
    }

    /** Plugs it back in; the port logs in to the fabric again (RSCN to the hosts). */
    void restore(int i) throws NPortException {
        links.get(i).up();
        ports.get(i).fabricLogin();
    }

    /** Changes the ALUA states (group 1, group 2) and raises UNIT ATTENTION 06/2A/06 on every nexus. */
    void states(AccessState g1, AccessState g2, int preferred) {
        synchronized (groups) {
            groups.byGroup[1] = g1;
            groups.byGroup[2] = g2;
        }
        groups.owner = preferred;
        disk.accessStatesChanged();
    }

    @Override
    public void close() {
        listener.close();
        targets.forEach(FcpTarget::close);
        links.forEach(Link::close);
        disk.close();
    }
}
