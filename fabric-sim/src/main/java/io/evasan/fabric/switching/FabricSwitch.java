package io.evasan.fabric.switching;

import io.evasan.fabric.frame.BlsDescriptor;
import io.evasan.fabric.frame.CtDescriptor;
import io.evasan.fabric.frame.BlsDescriptor.BaRjt;
import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.Els.Login;
import io.evasan.fabric.frame.Els.LsRjt;
import io.evasan.fabric.frame.Els.Rscn;
import io.evasan.fabric.frame.Els.RscnPage;
import io.evasan.fabric.frame.Els.Scr;
import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameFormatException;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.frame.LoginDescriptor;
import io.evasan.fabric.link.LinkEnd;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.fabric.frame.ElsDescriptor.*;
import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;

/**
 * A one-domain Fibre Channel switch: F_Ports on {@link LinkEnd}s, the F_Port login server
 * (FFFFFEh), the fabric controller (FFFFFDh: SCR, RSCN), the directory server (FFFFFCh, {@link
 * NameServer}), routing by D_ID and zoning.
 *
 * <p>Invariants:
 * <ul>
 * <li>FLOGI on switch port {@code i} (numbered from 1) assigns N_Port ID {@code domain:i:00}; a
 *     port not logged in gets nothing but FLOGI through.</li>
 * <li>Every frame from a logged-in port must carry its own N_Port ID as S_ID; others are refused
 *     (LS_RJT explanation SID for an ELS request, dropped otherwise), so hand-made frames cannot
 *     borrow another port's identity.</li>
 * <li><b>Zoning on every frame</b>: a frame from one N_Port to another is delivered only when
 *     their WWPNs share a zone of the active zone set (no active set: the {@link DefaultZone}, no access unless
 *     set to all access). Otherwise
 *     an ELS request is answered LS_RJT (unable to perform, no explanation), an ABTS BA_RJT (unable
 *     to perform), and anything else is dropped. The same answers are given for an N_Port ID that
 *     is not logged in, so a port outside the zone cannot even tell that the other exists.</li>
 * <li>RSCN is sent, to ports registered with SCR for fabric-detected events that are zoned with
 *     the affected port, on fabric login, logout (LOGO or repeated FLOGI), link loss and FC-4
 *     registration (RFT_ID, RFF_ID); on a zoning change every registered port gets a fabric-format
 *     RSCN.</li>
 * <li>Link loss logs the port out: its name server entry, SCR and logins to the well-known
 *     servers are gone.</li>
 * <li>Frames the switch cannot decode at all (encapsulation CRC, delimiters, R_CTL/TYPE) are
 *     dropped and counted ({@link #drops}); the switch never throws on input.</li>
 * </ul>
 * All state changes happen under one lock; sending is non-blocking ({@link LinkEnd#send}).
 */
public final class FabricSwitch {

    /** Why a frame was not delivered. */
    public enum Drop { MALFORMED, NOT_LOGGED_IN, WRONG_S_ID, NOT_ZONED, NO_SUCH_PORT, UNSUPPORTED }

    /**
     * What holds while no zone set is active (the "default zone" of Brocade's {@code defzone}): no port reaches
     * another ({@link #NO_ACCESS}, the default), or every port reaches every other ({@link #ALL_ACCESS}, what an
     * out-of-box appliance uses). An active zone set always decides alone.
     */
    public enum DefaultZone { NO_ACCESS, ALL_ACCESS }

    /** What management sees of one switch port. */
    public record PortView(int index, boolean linkUp, boolean loggedIn, int nPortId, long wwpn, long wwnn,
                           boolean scr) {
    }

    private static final int RX_ID = XID_UNKNOWN;
    private static final int R_A_TOV = 10_000;
    private static final int E_D_TOV = 2_000;
    private static final int RCV_SIZE = MAX_PAYLOAD;

    private final int domain;
    private final long switchWwn;
    private final Object lock = new Object();
    private final List<Port> ports = new ArrayList<>();
    private final NameServer nameServer = new NameServer();
    private final Map<Drop, AtomicLong> drops = new EnumMap<>(Drop.class);
    private ZoneSet active;
    private DefaultZone defaultZone = DefaultZone.NO_ACCESS;
    private int nextOxId = 1;

    public FabricSwitch(int domain, long switchWwn) {
        if (domain < 1 || domain > 239) {
            throw new IllegalArgumentException("domain ID " + domain + " outside 1..239");
        }
        this.domain = domain;
        this.switchWwn = switchWwn;
        for (Drop d : Drop.values()) {
            drops.put(d, new AtomicLong());
        }
    }

    public int domain() {
        return domain;
    }

    /** Connects a cable to the next switch port; returns its index (1..255). */
    public int attach(LinkEnd end) {
        synchronized (lock) {
            if (ports.size() == 255) {
                throw new IllegalStateException("all 255 areas in use");
            }
            Port p = new Port(ports.size() + 1, end);
            ports.add(p);
            end.receiver(p);
            return p.index;
        }
    }

    /** Activates {@code zoneSet} (the one active configuration) and notifies registered ports. */
    public void activate(ZoneSet zoneSet) {
        synchronized (lock) {
            active = zoneSet;
            rscnFabric();
        }
    }

    /** No active configuration: no port is zoned with any other. */
    public void deactivate() {
        synchronized (lock) {
            active = null;
            rscnFabric();
        }
    }

    /** Sets what holds while no zone set is active; registered ports get a fabric RSCN when that changes access. */
    public void defaultZone(DefaultZone d) {
        synchronized (lock) {
            DefaultZone before = defaultZone;
            defaultZone = java.util.Objects.requireNonNull(d, "default zone");
            if (before != d && active == null) {
                rscnFabric();
            }
        }
    }

    public DefaultZone defaultZone() {
        synchronized (lock) {
            return defaultZone;
        }
    }

    public Optional<ZoneSet> activeZoneSet() {
        synchronized (lock) {
            return Optional.ofNullable(active);
        }
    }

    public List<PortView> ports() {
        synchronized (lock) {
            List<PortView> out = new ArrayList<>();
            for (Port p : ports) {
                out.add(new PortView(p.index, p.linkUp, p.loggedIn, p.loggedIn ? p.nPortId() : 0, p.wwpn, p.wwnn,
                        p.scr));
            }
            return out;
        }
    }

    public List<NameServer.Entry> nameServerEntries() {
        synchronized (lock) {
            return nameServer.entries();
        }
    }

    public long drops(Drop d) {
        return drops.get(d).get();
    }

    private boolean zoned(long a, long b) {
        if (a == b) {
            return true;
        }
        return active != null ? active.zoned(a, b) : defaultZone == DefaultZone.ALL_ACCESS;
    }

    /** WWPN of F_Port {@code index}: NAA 2 with the port number in bits 48..59 and the switch's low 48 bits. */
    private long fabricPortWwn(int index) {
        return 0x2000_0000_0000_0000L | (long) index << 48 | switchWwn & 0xFFFF_FFFF_FFFFL;
    }

    // ------------------------------------------------------------------------------------------

    private final class Port implements LinkEnd.Receiver {
        final int index;
        final LinkEnd end;
        boolean linkUp = true;
        boolean loggedIn;
        long wwpn;
        long wwnn;
        /** Well-known servers (FFFFFCh, FFFFFDh) this port has done PLOGI with. */
        final Set<Integer> serverLogins = new HashSet<>();
        boolean scr;

        Port(int index, LinkEnd end) {
            this.index = index;
            this.end = end;
        }

        int nPortId() {
            return domain << 16 | index << 8;
        }

        @Override
        public void received(byte[] encapsulated) {
            Frame f;
            try {
                f = EncapsulationDescriptor.decode(encapsulated).frame(); // outside the lock: it only reads the bytes
            } catch (FrameFormatException e) {
                drops.get(Drop.MALFORMED).incrementAndGet();
                return;
            }
            synchronized (lock) {
                handle(this, f, encapsulated);
            }
        }

        @Override
        public void linkUp() {
            synchronized (lock) {
                linkUp = true;
            }
        }

        @Override
        public void linkDown() {
            synchronized (lock) {
                linkUp = false;
                logout(this);
            }
        }
    }

    private void handle(Port p, Frame f, byte[] encapsulated) {
        FrameHeader h = f.header();
        boolean elsRequest = h.rCtl() == R_CTL_ELS_REQ;
        if (!p.loggedIn) {
            if (elsRequest && h.dId() == FID_FLOGI) {
                loginServer(p, f);
            } else {
                refuse(p, f, Drop.NOT_LOGGED_IN, RJT_LOGIC, EXPL_NONE);
            }
            return;
        }
        boolean flogi = elsRequest && h.dId() == FID_FLOGI && h.sId() == 0;
        if (h.sId() != p.nPortId() && !flogi) {
            refuse(p, f, Drop.WRONG_S_ID, RJT_LOGIC, EXPL_SID);
            return;
        }
        if (elsRequest && h.oxId() == XID_UNKNOWN) {
            refuse(p, f, Drop.MALFORMED, RJT_PROT, EXPL_OXID_RXID);
            return;
        }
        switch (h.dId()) {
            case FID_FLOGI -> loginServer(p, f);
            case FID_FCTRL, FID_DIR_SERV -> wellKnownServer(p, f, h.dId());
            default -> route(p, f, encapsulated);
        }
    }

    /** Answers a frame that will not be delivered: LS_RJT / BA_RJT to requests, nothing otherwise. */
    private void refuse(Port p, Frame f, Drop why, int reason, int explanation) {
        drops.get(why).incrementAndGet();
        FrameHeader h = f.header();
        if (h.rCtl() == R_CTL_ELS_REQ) {
            reply(p, h, R_CTL_ELS_REP, TYPE_ELS, new LsRjt(reason, explanation).encode());
        } else if (h.rCtl() == R_CTL_BA_ABTS) {
            reply(p, h, R_CTL_BA_RJT, TYPE_BLS,
                    new BaRjt(BlsDescriptor.RJT_UNABLE, BlsDescriptor.RJT_EXP_NONE).encode());
        }
    }

    private void reply(Port p, FrameHeader request, int rCtl, int type, byte[] payload) {
        p.end.send(new Frame(request.reply(rCtl, type), payload));
    }

    /** Decodes an ELS request addressed to a switch server, answering malformed ones with LS_RJT. */
    private Optional<Els> elsRequest(Port p, Frame f) {
        FrameHeader h = f.header();
        if (h.rCtl() == R_CTL_BA_ABTS) {
            // the servers keep no open exchanges: every OX_ID is unknown to them
            drops.get(Drop.UNSUPPORTED).incrementAndGet();
            reply(p, h, R_CTL_BA_RJT, TYPE_BLS,
                    new BaRjt(BlsDescriptor.RJT_LOG_ERR, BlsDescriptor.RJT_EXP_INV_XID).encode());
            return Optional.empty();
        }
        if (h.rCtl() != R_CTL_ELS_REQ) {
            drops.get(Drop.UNSUPPORTED).incrementAndGet();
            return Optional.empty();
        }
        try {
            return Optional.of(Els.decodeRequest(f.payload()));
        } catch (FrameFormatException e) {
            drops.get(Drop.MALFORMED).incrementAndGet();
            LsRjt rjt = switch (e.problem()) {
                case UNKNOWN_ELS -> new LsRjt(RJT_UNSUP, EXPL_NONE);
                case TRUNCATED, BAD_LENGTH -> new LsRjt(RJT_PROT, EXPL_INV_LEN);
                default -> new LsRjt(RJT_PROT, EXPL_NONE);
            };
            reply(p, h, R_CTL_ELS_REP, TYPE_ELS, rjt.encode());
            return Optional.empty();
        }
    }

    private void loginServer(Port p, Frame f) {
        FrameHeader h = f.header();
        Optional<Els> els = elsRequest(p, f);
        if (els.isEmpty()) {
            return;
        }
        Els e = els.get();
        if (e instanceof Login l && l.command() == FLOGI) {
            for (Port o : ports) {
                if (o != p && o.loggedIn && o.wwpn == l.wwpn()) {
                    reply(p, h, R_CTL_ELS_REP, TYPE_ELS, new LsRjt(RJT_LOGIC, EXPL_NONE).encode());
                    return;
                }
            }
            if (p.loggedIn) {
                logout(p);
            }
            p.loggedIn = true;
            p.wwpn = l.wwpn();
            p.wwnn = l.wwnn();
            nameServer.login(p.nPortId(), p.wwpn, p.wwnn);
            Login acc = new Login(LS_ACC, LoginDescriptor.VERSION_FC_PH_0x20, 3, LoginDescriptor.FT_FPORT, RCV_SIZE,
                    R_A_TOV, E_D_TOV, fabricPortWwn(p.index), switchWwn,
                    LoginDescriptor.CPC_VALID | LoginDescriptor.CPC_SEQ, RCV_SIZE, 0, 0);
            p.end.send(new Frame(h.reply(R_CTL_ELS_REP, TYPE_ELS).withIds(FID_FLOGI, p.nPortId()), acc.encode()));
            rscnPort(p, EV_QUAL_NONE);
        } else if (e instanceof Els.Logo && p.loggedIn) {
            reply(p, h, R_CTL_ELS_REP, TYPE_ELS, new Els.LsAcc().encode());
            logout(p);
        } else {
            // FDISC (NPIV) is not offered; nothing else is addressed to the login server
            drops.get(Drop.UNSUPPORTED).incrementAndGet();
            reply(p, h, R_CTL_ELS_REP, TYPE_ELS, new LsRjt(p.loggedIn ? RJT_UNSUP : RJT_LOGIC, EXPL_NONE).encode());
        }
    }

    /** The fabric controller (FFFFFDh) and the directory server (FFFFFCh): PLOGI, LOGO, SCR, CT. */
    private void wellKnownServer(Port p, Frame f, int fid) {
        FrameHeader h = f.header();
        if (h.rCtl() == R_CTL_ELS_REP && fid == FID_FCTRL) {
            return; // LS_ACC to an RSCN the controller sent: nothing to do
        }
        if (h.rCtl() == R_CTL_DD_UNSOL_CTL && fid == FID_DIR_SERV) {
            byte[] answer;
            if (!p.serverLogins.contains(FID_DIR_SERV)) {
                drops.get(Drop.NOT_LOGGED_IN).incrementAndGet();
                answer = CtDescriptor.Header.reject(CtDescriptor.RJT_LOG, CtDescriptor.EXP_NONE).with(new byte[0]);
            } else {
                NameServer.Answer a = nameServer.handle(p.nPortId(), p.wwpn, f.payload(), this::zoned);
                answer = a.payload();
                a.changed().ifPresent(id -> rscnPort(p, EV_QUAL_NS_OBJ));
            }
            reply(p, h, R_CTL_DD_SOL_CTL, TYPE_CT, answer);
            return;
        }
        Optional<Els> els = elsRequest(p, f);
        if (els.isEmpty()) {
            return;
        }
        Els e = els.get();
        Els answer;
        if (e instanceof Login l && l.command() == PLOGI) {
            p.serverLogins.add(fid);
            answer = serverLogin(fid);
        } else if (e instanceof Els.Logo) {
            p.serverLogins.remove(fid);
            answer = new Els.LsAcc();
        } else if (e instanceof Scr s && fid == FID_FCTRL) {
            p.scr = s.function() == SCRF_FAB || s.function() == SCRF_FULL;
            answer = new Els.LsAcc();
        } else {
            drops.get(Drop.UNSUPPORTED).incrementAndGet();
            answer = new LsRjt(RJT_UNSUP, EXPL_NONE);
        }
        reply(p, h, R_CTL_ELS_REP, TYPE_ELS, answer.encode());
    }

    /** The PLOGI LS_ACC of a well-known server; its WWPN carries the low 12 bits of the address as port number. */
    private Login serverLogin(int fid) {
        return Login.plogi(fabricPortWwn(fid & 0xFFF), switchWwn, RCV_SIZE, E_D_TOV).as(LS_ACC);
    }

    private void route(Port p, Frame f, byte[] encapsulated) {
        int dId = f.header().dId();
        Port to = null;
        for (Port o : ports) {
            if (o.loggedIn && o.linkUp && o.nPortId() == dId) {
                to = o;
                break;
            }
        }
        if (to == null) {
            refuse(p, f, Drop.NO_SUCH_PORT, RJT_UNAB, EXPL_NONE);
        } else if (!zoned(p.wwpn, to.wwpn)) {
            refuse(p, f, Drop.NOT_ZONED, RJT_UNAB, EXPL_NONE);
        } else {
            to.end.send(encapsulated);
        }
    }

    private void logout(Port p) {
        if (!p.loggedIn) {
            return;
        }
        rscnPort(p, EV_QUAL_NONE);
        nameServer.logout(p.nPortId());
        p.loggedIn = false;
        p.serverLogins.clear();
        p.scr = false;
    }

    /** RSCN about port {@code affected} to every other registered port zoned with it. */
    private void rscnPort(Port affected, int qualifier) {
        Rscn rscn = new Rscn(List.of(new RscnPage(qualifier, ADDR_FMT_PORT, affected.nPortId())));
        for (Port o : ports) {
            if (o != affected && o.loggedIn && o.linkUp && o.scr && zoned(o.wwpn, affected.wwpn)) {
                sendRscn(o, rscn);
            }
        }
    }

    /** Fabric-format RSCN to every registered port (zoning changed: anything may have). */
    private void rscnFabric() {
        Rscn rscn = new Rscn(List.of(new RscnPage(EV_QUAL_NONE, ADDR_FMT_FAB, 0)));
        for (Port o : ports) {
            if (o.loggedIn && o.linkUp && o.scr) {
                sendRscn(o, rscn);
            }
        }
    }

    private void sendRscn(Port to, Rscn rscn) {
        int ox = nextOxId;
        nextOxId = nextOxId % 0xFFFE + 1;
        to.end.send(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, FID_FCTRL, to.nPortId(), ox), rscn.encode()));
    }
}
