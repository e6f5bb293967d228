package io.evasan.deploy;

import io.evasan.fabric.fcp.FcpTarget;
import io.evasan.fabric.frame.FrameHeaderDescriptor;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.link.InMemoryLink;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;
import io.evasan.fabric.switching.FabricSwitch;
import io.evasan.fabric.switching.NameServer;
import io.evasan.fabric.switching.SwitchListener;
import io.evasan.fabric.switching.Wwn;
import io.evasan.fabric.switching.ZoneSet;
import io.evasan.mgmt.FabricControl;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cell.pair.PairListener;
import io.evasan.nsc.cell.pair.PairPortGroups;
import io.evasan.scsi.ScsiTarget;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The cell's Fibre Channel fabric (DESIGN §11): a {@link FabricSwitch} (domain {@value #DOMAIN}) inside the appliance,
 * on TCP for hosts ({@link SwitchListener} on loopback, {@code --fabric-port}, 7210 by default), and the cell's four
 * target N_Ports on it, two per controller, each an {@link NPort} with an {@link FcpTarget} on the same SCSI target
 * as the iSCSI portals: relative target ports 5, 6 (NSC A) and 7, 8 (NSC B), in the controllers' ALUA groups
 * ({@link PairPortGroups#FC_PORTS_A}, {@link PairPortGroups#FC_PORTS_B}).
 *
 * <p><b>Names.</b> The cell's WWNN is NAA 5 (IEEE registered): {@code 5}, the OUI {@code 00:1f:e1} (the one the
 * EVA's WWNs carry), and 36 vendor bits: the first 32 bits of SHA-256 of the pool id, then a 4-bit port index 0. It
 * is derived, never stored, so it is the same on every start of the same pool. Port {@code i} (A1, A2, B1, B2 =
 * 1..4) has WWPN = WWNN with {@code i} in the low 4 bits: e.g. WWNN {@code 50:01:fe:1x:xx:xx:xx:x0}, WWPNs
 * {@code ..x1} .. {@code ..x4}.
 *
 * <p><b>Persistent ports.</b> Each target port has its own in-JVM link (its cable position on the switch, so its
 * switch port and N_Port ID never change). A controller's ports follow the pair as its iSCSI portals do: when it
 * crashes, their links go down (the switch logs them out and sends RSCN to zoned hosts); when its partner takes over,
 * the partner logs N_Ports in on the same links with the same WWPNs (FLOGI, name server registrations RFT_ID/RFF_ID
 * as an FCP target, SCR) serving the same relative ports, so hosts find the same target ports again (as 3PAR's
 * persistent ports); when the controller is back, the partner's N_Ports log out and the controller's own log in.
 *
 * <p>Invariant: every logged-in target port serves {@code target}; a port whose controller is down and not taken
 * over is logged out. Pair callbacks never throw (a failed login is reported and leaves the port logged out).
 */
final class CellFabric implements PairListener, FabricControl, AutoCloseable {
    static final int DOMAIN = 1;
    /** The OUI of the cell's WWNs. */
    static final long OUI = 0x001FE1L;
    /** Default TCP port of the switch. */
    static final int DEFAULT_PORT = 7210;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** One target port: its fixed identity and who serves it now. */
    private final class TargetPort {
        final int index;          // 1..4
        final NscId home;
        final int relativePort;
        final long wwpn;
        final InMemoryLink link;
        int switchPort;
        NscId servedBy;
        NPort nport;
        FcpTarget fcp;
        /** The port's {@code evasan.port.*} meters (portal {@code fc:<wwpn>}), kept across logins; null without a registry. */
        io.evasan.scsi.target.ScsiStats.LuStats meters;

        TargetPort(int index, NscId home, int relativePort) {
            this.index = index;
            this.home = home;
            this.relativePort = relativePort;
            this.wwpn = wwnn | index;
            this.link = new InMemoryLink("fc-nsc-" + home.name().toLowerCase(java.util.Locale.ROOT) + "-" + relativePort);
        }

        String name() {
            return "evasan nsc-" + home.name().toLowerCase(java.util.Locale.ROOT) + " port " + relativePort;
        }
    }

    private final long wwnn;
    private final ScsiTarget target;
    private final FabricSwitch fabric;
    private final String host;
    private final int tcpPort;
    private SwitchListener listener;
    private volatile String listenAddress = "";
    private final List<TargetPort> ports = new ArrayList<>();
    private volatile String activeZoneSet;
    private boolean closed;

    /**
     * Makes the switch (all-access default zone) and logs in the four target ports, each served by its home
     * controller. Hosts can connect only after {@link #listen}: the appliance calls it once the management layer has
     * applied the stored zoning, so no host ever sees the fabric before its zone set is enforced.
     */
    CellFabric(String poolId, String host, int tcpPort, ScsiTarget target) {
        this(poolId, host, tcpPort, target, null);
    }

    /**
     * As above; with {@code registry}, every target port records the commands it completes in {@code evasan.port.*}
     * tagged {@code portal=fc:<wwpn>} (the performance history samples them as the iSCSI portals').
     */
    CellFabric(String poolId, String host, int tcpPort, ScsiTarget target, io.micrometer.core.instrument.MeterRegistry registry) {
        this.host = host;
        this.tcpPort = tcpPort;
        this.wwnn = wwnn(poolId);
        this.target = target;
        this.fabric = new FabricSwitch(DOMAIN, 0x1000_0000_0000_0000L | OUI << 24 | DOMAIN);
        fabric.defaultZone(FabricSwitch.DefaultZone.ALL_ACCESS);
        int index = 1;
        for (int rel : PairPortGroups.FC_PORTS_A) {
            ports.add(new TargetPort(index++, NscId.A, rel));
        }
        for (int rel : PairPortGroups.FC_PORTS_B) {
            ports.add(new TargetPort(index++, NscId.B, rel));
        }
        for (TargetPort p : ports) {
            p.switchPort = fabric.attach(p.link.b());
            if (registry != null) {
                p.meters = io.evasan.scsi.target.ScsiStats.portMeters(registry, "fc:" + Wwn.format(p.wwpn));
            }
        }
        try {
            for (TargetPort p : ports) {
                logIn(p, p.home);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The cell's WWNN for pool {@code poolId} (see the class comment). */
    static long wwnn(String poolId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(poolId.getBytes(StandardCharsets.UTF_8));
            long bits = (h[0] & 0xFFL) << 24 | (h[1] & 0xFFL) << 16 | (h[2] & 0xFFL) << 8 | h[3] & 0xFFL;
            return 5L << 60 | OUI << 36 | bits << 4;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    long wwnn() {
        return wwnn;
    }

    /** Opens the switch to hosts: its {@link SwitchListener} on {@code host}:{@code tcpPort} (0 = a free port). */
    synchronized void listen() throws IOException {
        if (listener == null && !closed) {
            listener = new SwitchListener(fabric, new InetSocketAddress(host, tcpPort));
            listenAddress = host + ":" + listener.port();
        }
    }

    /** The TCP port hosts connect to; -1 before {@link #listen}. */
    synchronized int port() {
        return listener == null ? -1 : listener.port();
    }

    FabricSwitch fabricSwitch() {
        return fabric;
    }

    /** "WWPN (N_Port ID) rel port, NSC x" of each target port, in order. */
    synchronized List<String> describe() {
        List<String> out = new ArrayList<>();
        for (TargetPort p : ports) {
            out.add(String.format("%s N_Port %06x, relative port %d (NSC %s%s)", Wwn.format(p.wwpn),
                    p.nport == null ? 0 : p.nport.portId(), p.relativePort, p.home,
                    p.servedBy == null ? ", down" : p.servedBy != p.home ? ", served by " + p.servedBy : ""));
        }
        return out;
    }

    /** Logs {@code p} in as {@code by}'s N_Port: FLOGI, directory server registrations as an FCP target, SCR. */
    private void logIn(TargetPort p, NscId by) {
        p.link.up();
        NPort n = new NPort(p.name(), p.wwpn, wwnn, p.link.a(), false, true, TIMEOUT);
        n.keepReceived(false);   // a target port on the I/O path keeps no copy of what it received
        FcpTarget fcp = new FcpTarget(n, target, p.relativePort);
        fcp.meters(p.meters);
        try {
            n.fabricLogin();
        } catch (NPortException e) {
            fcp.close();
            p.link.down();
            throw new IllegalStateException("fabric login of " + Wwn.format(p.wwpn) + " failed: " + e.getMessage(), e);
        }
        p.nport = n;
        p.fcp = fcp;
        p.servedBy = by;
    }

    /** Link down: the switch logs the port out and tells zoned hosts (RSCN); the port's nexuses close. */
    private void logOut(TargetPort p) {
        p.link.down();
        if (p.fcp != null) {
            p.fcp.close();
        }
        p.fcp = null;
        p.servedBy = null;
    }

    // ------------------------------------------------------------------ following the pair

    @Override
    public synchronized void crashed(NscId nsc) {
        for (TargetPort p : ports) {
            if (p.servedBy == nsc) {
                logOut(p);
            }
        }
    }

    @Override
    public synchronized void takenOver(NscId dead, NscId survivor) {
        if (closed) {
            return;
        }
        for (TargetPort p : ports) {
            if (p.home == dead || p.servedBy == dead) {
                logOut(p);   // a hung controller's ports: fenced with it
                tryLogIn(p, survivor);
            }
        }
    }

    @Override
    public synchronized void restarted(NscId nsc) {
        if (closed) {
            return;
        }
        for (TargetPort p : ports) {
            if (p.home == nsc && p.servedBy != nsc) {
                logOut(p);
                tryLogIn(p, nsc);
            }
        }
    }

    private void tryLogIn(TargetPort p, NscId by) {
        try {
            logIn(p, by);
        } catch (RuntimeException e) {
            System.err.println("evasan: fabric: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ management (FabricControl)

    @Override
    public int domain() {
        return DOMAIN;
    }

    @Override
    public String switchWwn() {
        return Wwn.format(0x1000_0000_0000_0000L | OUI << 24 | DOMAIN);
    }

    @Override
    public String listenAddress() {
        return listenAddress;
    }

    @Override
    public synchronized List<Port> ports() {
        Map<Integer, NameServer.Entry> byId = new HashMap<>();
        for (NameServer.Entry e : fabric.nameServerEntries()) {
            byId.put(e.portId(), e);
        }
        Map<Integer, TargetPort> cellPorts = new HashMap<>();
        for (TargetPort p : ports) {
            cellPorts.put(p.switchPort, p);
        }
        List<Port> out = new ArrayList<>();
        for (FabricSwitch.PortView v : fabric.ports()) {
            NameServer.Entry e = v.loggedIn() ? byId.get(v.nPortId()) : null;
            String role = "";
            String symbolic = "";
            if (e != null) {
                symbolic = e.symbolicName();
                Integer f = e.fc4Features().get(FrameHeaderDescriptor.TYPE_FCP);
                if (f != null) {
                    boolean ini = (f & NameServerDescriptor.FCP_FEAT_INIT) != 0;
                    boolean targ = (f & NameServerDescriptor.FCP_FEAT_TARG) != 0;
                    role = ini && targ ? "initiator+target" : targ ? "target" : ini ? "initiator" : "";
                }
            }
            TargetPort cell = cellPorts.get(v.index());
            String wwpn = v.loggedIn() ? Wwn.format(v.wwpn()) : cell != null ? Wwn.format(cell.wwpn) : "";
            String wwnn = v.loggedIn() ? Wwn.format(v.wwnn()) : cell != null ? Wwn.format(this.wwnn) : "";
            out.add(new Port(v.index(), v.linkUp(), v.loggedIn(), v.nPortId(), wwpn, wwnn, symbolic, role,
                    cell == null ? null : cell.home.name(),
                    cell == null ? null : cell.servedBy == null ? "" : cell.servedBy.name(),
                    cell == null ? 0 : cell.relativePort));
        }
        return out;
    }

    @Override
    public List<String> targetWwpns() {
        List<String> out = new ArrayList<>();
        for (TargetPort p : ports) {
            out.add(Wwn.format(p.wwpn));
        }
        return out;
    }

    @Override
    public void activate(String name, Map<String, Set<String>> zones) {
        Map<String, Set<Long>> z = new LinkedHashMap<>();
        zones.forEach((zone, members) -> {
            Set<Long> m = new java.util.HashSet<>();
            for (String w : members) {
                m.add(Wwn.parse(w));
            }
            z.put(zone, m);
        });
        fabric.activate(new ZoneSet(name, z));
        activeZoneSet = name;
    }

    @Override
    public void deactivate() {
        fabric.deactivate();
        activeZoneSet = null;
    }

    @Override
    public Optional<String> activeZoneSet() {
        return Optional.ofNullable(activeZoneSet);
    }

    @Override
    public String defaultZone() {
        return fabric.defaultZone().name();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (listener != null) {
            listener.close();
        }
        for (TargetPort p : ports) {
            if (p.fcp != null) {
                p.fcp.close();
            }
            p.link.close();
            if (p.meters != null) {
                p.meters.close();
            }
        }
    }
}
