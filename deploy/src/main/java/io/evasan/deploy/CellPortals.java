package io.evasan.deploy;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.IscsiTargetServer;
import io.evasan.mgmt.InitiatorSecrets;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cell.pair.PairListener;
import io.evasan.nsc.cell.pair.PairPortGroups;
import io.evasan.scsi.ScsiTarget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cell's four iSCSI portals, two per controller (the seed's two host ports): NSC A's on the first two
 * addresses (relative target ports 1, 2), NSC B's on the next two (3, 4); each portal group tag equals its relative
 * port id, and SendTargets from any portal lists all four. A controller's portals follow it as persistent ports do:
 * when it crashes they go dark at once (connections reset, nothing more answered: a connection attempt meanwhile
 * is held unanswered, as by an address whose owner is gone, not refused); when its partner takes over, the partner
 * serves the same addresses with the same port identities (a held attempt logs in then), so a single-path initiator
 * reconnects to the address it knew; when it is back, its portals return to it (connections on them are closed and log in again).
 *
 * <p>Invariant: every server serves the same target name with the cell's CHAP secrets as they are now (a portal
 * started at a takeover gets the secrets registered before it).
 */
final class CellPortals implements PairListener, InitiatorSecrets, io.evasan.mgmt.IscsiSessions, AutoCloseable {
    /** One portal: whose it is, where it listens (port fixed after the first start), its group tag = relative port. */
    private record Portal(NscId nsc, String host, int port, int relativePort) {
    }

    private final String iqn;
    private final ScsiTarget target;
    private final List<Portal> portals = new ArrayList<>();
    private final Map<Integer, IscsiTargetServer> servers = new ConcurrentHashMap<>();
    private final Map<String, Chap> secrets = new ConcurrentHashMap<>();
    /** Per-portal meters go here (evasan.port.*, sampled into the performance history); null: none. */
    private final io.micrometer.core.instrument.MeterRegistry registry;
    private volatile List<IscsiTargetConfig.Portal> advertised = List.of();
    private volatile IscsiTargetConfig.LoginFailureListener loginRefused;
    private boolean closed;

    /**
     * Binds the four portals on {@code host}: ports {@code firstPort} .. {@code firstPort + 3}, or four free ports
     * when {@code firstPort} is 0.
     */
    CellPortals(String host, int firstPort, String iqn, ScsiTarget target,
                io.micrometer.core.instrument.MeterRegistry registry) {
        this(host, consecutive(firstPort), consecutive(firstPort), iqn, target, registry);
    }

    private static int[] consecutive(int firstPort) {
        return firstPort == 0 ? new int[4] : new int[] {firstPort, firstPort + 1, firstPort + 2, firstPort + 3};
    }

    /**
     * Binds the four portals (A1, A2, B1, B2) on {@code host} at {@code bind} (0: a free port) and advertises them
     * (SendTargets) at {@code advertise} (0: where bound). The clustered leader binds its partner's portals on free
     * internal ports, advertised at their host addresses, which a {@link PortalRelay} serves: the partner's while
     * it lives, this process's while it is down.
     */
    CellPortals(String host, int[] bind, int[] advertise, String iqn, ScsiTarget target,
                io.micrometer.core.instrument.MeterRegistry registry) {
        this.iqn = iqn;
        this.target = target;
        this.registry = registry;
        List<Integer> rel = new ArrayList<>(PairPortGroups.PORTS_A);
        rel.addAll(PairPortGroups.PORTS_B);
        try {
            for (int i = 0; i < rel.size(); i++) {
                NscId nsc = i < PairPortGroups.PORTS_A.size() ? NscId.A : NscId.B;
                IscsiTargetServer s = new IscsiTargetServer(config(host, bind[i], rel.get(i)));
                int bound = s.start();
                portals.add(new Portal(nsc, host, bound, rel.get(i)));
                servers.put(rel.get(i), s);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        List<IscsiTargetConfig.Portal> all = new ArrayList<>();
        for (int i = 0; i < portals.size(); i++) {
            Portal p = portals.get(i);
            all.add(new IscsiTargetConfig.Portal(p.host(), advertise[i] == 0 ? p.port() : advertise[i], p.relativePort()));
        }
        advertised = List.copyOf(all);
        for (IscsiTargetServer s : servers.values()) {
            s.config().advertisedPortals(advertised);
        }
    }

    private IscsiTargetConfig config(String host, int port, int relativePort) {
        IscsiTargetConfig c = new IscsiTargetConfig().host(host).port(port).portalGroupTag(relativePort)
                .relativeTargetPortId(relativePort).addTarget(iqn, "evasan nsc0", target).meterRegistry(registry);
        secrets.forEach((initiator, chap) -> c.chap(initiator, chap.userName(), chap.secret(), chap.targetUserName(),
                chap.targetSecret()));
        if (!advertised.isEmpty()) {
            c.advertisedPortals(advertised);
        }
        c.loginFailureListener((name, address, status) -> {
            IscsiTargetConfig.LoginFailureListener l = loginRefused;
            if (l != null) {
                l.loginRefused(name, address, status);
            }
        });
        return c;
    }

    /** Who is told of every login a portal refuses (the management appliance's event log); null: nobody. */
    void onLoginRefused(IscsiTargetConfig.LoginFailureListener l) {
        loginRefused = l;
    }

    /** The port of NSC {@code nsc}'s {@code index}-th portal (0 or 1). */
    int port(NscId nsc, int index) {
        return portals.stream().filter(p -> p.nsc() == nsc).toList().get(index).port();
    }

    /** "host:port,tpgt (NSC x)" for each portal, in order. */
    List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Portal p : portals) {
            out.add(p.host() + ":" + p.port() + "," + p.relativePort() + " (NSC " + p.nsc() + ")");
        }
        return out;
    }

    // ------------------------------------------------------------------ CHAP secrets (management)

    @Override
    public synchronized void put(String initiator, Chap chap) {
        secrets.put(initiator, chap);
        for (IscsiTargetServer s : servers.values()) {
            s.config().chap(initiator, chap.userName(), chap.secret(), chap.targetUserName(), chap.targetSecret());
        }
    }

    @Override
    public synchronized void remove(String initiator) {
        secrets.remove(initiator);
        for (IscsiTargetServer s : servers.values()) {
            s.config().removeChap(initiator);
        }
    }

    // ------------------------------------------------------------------ following the pair

    @Override
    public synchronized void crashed(NscId nsc) {
        for (Portal p : portals) {
            if (p.nsc() == nsc) {
                IscsiTargetServer s = servers.get(p.relativePort());
                if (s != null) {
                    s.darken();   // connections reset; an initiator's reconnect waits for the takeover
                }
            }
        }
    }

    @Override
    public synchronized void takenOver(NscId dead, NscId survivor) {
        if (closed) {
            return;
        }
        for (Portal p : portals) {
            if (p.nsc() == dead) {
                IscsiTargetServer old = servers.get(p.relativePort());
                if (old != null && old.dark()) {
                    old.relight();   // a crashed controller's dark portal: served from now on, held logins first
                    continue;
                }
                servers.remove(p.relativePort());
                if (old != null) {
                    old.kill();   // a hung controller's ports: fenced with it
                }
                rebind(p);
            }
        }
    }

    @Override
    public synchronized void restarted(NscId nsc) {
        if (closed) {
            return;
        }
        for (Portal p : portals) {
            if (p.nsc() == nsc) {
                IscsiTargetServer partners = servers.remove(p.relativePort());
                if (partners != null) {
                    partners.stop();
                }
                rebind(p);
            }
        }
    }

    private void rebind(Portal p) {
        IscsiTargetServer s = new IscsiTargetServer(config(p.host(), p.port(), p.relativePort()));
        s.start();
        servers.put(p.relativePort(), s);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (IscsiTargetServer s : servers.values()) {
            try {
                s.stop();
            } catch (RuntimeException e) {
                System.err.println("evasan: iSCSI stop: " + e);
            }
        }
        servers.clear();
    }

    /** The live sessions of every portal, in portal order (A's two, then B's), each portal's oldest login first. */
    @Override
    public List<io.evasan.mgmt.IscsiSessions.Session> sessions() {
        List<io.evasan.mgmt.IscsiSessions.Session> out = new ArrayList<>();
        for (Portal p : portals) {
            IscsiTargetServer s = servers.get(p.relativePort());
            if (s == null) {
                continue;
            }
            for (io.evasan.iscsi.IscsiSession x : s.sessions()) {
                out.add(new io.evasan.mgmt.IscsiSessions.Session(p.nsc().name(), p.relativePort(), x.initiatorName(),
                        x.isid(), x.tsih(), x.targetName(), x.portal(), x.remoteAddress(), x.loginEpochMillis(), x.chap(),
                        x.mutualChap(), x.headerDigest(), x.dataDigest(), x.unansweredPingMillis()));
            }
        }
        return out;
    }
}
