package io.evasan.fabric.nport;

import io.evasan.fabric.frame.BlsDescriptor.BaAcc;
import io.evasan.fabric.frame.CtDescriptor;
import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.Els.Login;
import io.evasan.fabric.frame.Els.LsRjt;
import io.evasan.fabric.frame.Els.Prli;
import io.evasan.fabric.frame.Els.ServicePage;
import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameFormatException;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.frame.PrliDescriptor;
import io.evasan.fabric.link.LinkEnd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.fabric.frame.ElsDescriptor.*;
import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;

/**
 * An N_Port (one HBA port) on a fabric link: fabric login in the order Linux libfc uses (FLOGI,
 * PLOGI to the directory server, RNN_ID, RSPN_ID, RFT_ID, RFF_ID, SCR), name server queries, N_Port
 * login and process login to other ports, and the answers an N_Port owes to unsolicited requests
 * (RSCN, PLOGI, PRLI, LOGO, ADISC, ABTS). This is the port layer of the host HBA and of the
 * controller's target ports; FCP frames and ABTS go to the {@link Fc4Listener} when one is
 * installed. A PRLI from a port that has not sent PLOGI is refused (LS_RJT 03h/1Eh).
 *
 * <p>Invariants: each exchange this port originates has its own OX_ID and is matched to its
 * reply by OX_ID, the exchange-context bit and the responder's address (S_ID of the reply = D_ID
 * of the request); the most recent frames received are also kept in
 * {@link #received()} (decoded) for inspection; malformed input is counted, never thrown.
 */
public final class NPort implements LinkEnd.Receiver {
    private final String name;
    private final long wwpn;
    private final long wwnn;
    private final LinkEnd end;
    private final boolean initiator;
    private final boolean target;
    private volatile Duration timeout;
    private final AtomicInteger oxIds = new AtomicInteger();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();

    /** An exchange this port originated, waiting for the frame from its responder. */
    private static final class Pending extends CompletableFuture<Frame> {
        final int responder;

        Pending(int responder) {
            this.responder = responder;
        }
    }
    private final BlockingQueue<Els.Rscn> rscns = new LinkedBlockingQueue<>();
    /** How many of the most recent frames {@link #received()} keeps. */
    public static final int RECEIVED_KEPT = 4096;
    private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> linkEvents = new LinkedBlockingQueue<>();
    private final AtomicLong malformed = new AtomicLong();
    private final Map<Integer, Long> plogiFrom = new ConcurrentHashMap<>();
    private volatile Fc4Listener fc4;
    private volatile boolean keepReceived = true;
    private volatile int portId;

    /**
     * @param timeout how long a request waits for its reply before {@link NPortException}
     */
    public NPort(String name, long wwpn, long wwnn, LinkEnd end, boolean initiator, boolean target, Duration timeout) {
        this.name = name;
        this.wwpn = wwpn;
        this.wwnn = wwnn;
        this.end = end;
        this.initiator = initiator;
        this.target = target;
        this.timeout = timeout;
        end.receiver(this);
    }

    /** How long a request waits for its reply from now on. */
    public void timeout(Duration t) {
        timeout = t;
    }

    public long wwpn() {
        return wwpn;
    }

    /** The N_Port ID assigned at FLOGI; 0 before it. */
    public int portId() {
        return portId;
    }

    /** RSCNs received (each already answered with LS_ACC). */
    public BlockingQueue<Els.Rscn> rscns() {
        return rscns;
    }

    /**
     * Whether {@link #received()} keeps frames (default true, for inspection). A host on a data
     * path turns it off: keeping the last 4096 frames costs a queue operation per frame and holds
     * up to 8 MiB of payloads.
     */
    public void keepReceived(boolean keep) {
        keepReceived = keep;
        if (!keep) {
            received.clear();
        }
    }

    /** The last {@link #RECEIVED_KEPT} decodable frames received, oldest first (none when {@link #keepReceived} is off). */
    public BlockingQueue<Frame> received() {
        return received;
    }

    /** "up" / "down" as the link reports them. */
    public BlockingQueue<String> linkEvents() {
        return linkEvents;
    }

    public long malformed() {
        return malformed.get();
    }

    public int nextOxId() {
        return oxIds.updateAndGet(x -> x % 0xFFFE + 1);
    }

    /** Installs the FCP layer: it gets FCP frames and ABTS, and hears of process logins and logouts. */
    public void fc4(Fc4Listener listener) {
        fc4 = listener;
    }

    /** Sends one frame. */
    public void send(Frame f) {
        end.send(f);
    }

    /** Sends the frame of header {@code h} with {@code length} payload bytes of {@code b} from {@code offset}, without copying them out first. */
    public void send(FrameHeader h, byte[] b, int offset, int length) {
        end.send(EncapsulationDescriptor.encode(h, b, offset, length));
    }

    /** Sends bytes as they are: for tests of what the fabric does with hand-made frames. */
    public void sendRaw(byte[] encapsulated) {
        end.send(encapsulated);
    }

    /**
     * Sends {@code request} and waits for the frame that answers its exchange.
     *
     * @throws NPortException when no answer comes within the timeout
     */
    public Frame exchange(Frame request) throws NPortException {
        Pending f = new Pending(request.header().dId());
        int ox = request.header().oxId();
        pending.put(ox, f);
        end.send(request);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new NPortException(name + ": no answer to " + request + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NPortException(name + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new NPortException(name + ": " + e.getCause(), e.getCause());
        } finally {
            pending.remove(ox);
        }
    }

    /** Sends an ELS request to {@code dId} and decodes its reply (LS_ACC of the request's kind, or LS_RJT). */
    public Els els(int dId, Els request) throws NPortException {
        Frame reply = exchange(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, portId, dId, nextOxId()),
                request.encode()));
        if (reply.header().rCtl() != R_CTL_ELS_REP) {
            throw new NPortException(name + ": " + name(request.command()) + " answered by " + reply);
        }
        try {
            return Els.decodeReply(request.command(), reply.payload());
        } catch (FrameFormatException e) {
            throw new NPortException(name + ": malformed reply to " + name(request.command()), e);
        }
    }

    /** FLOGI; returns the N_Port ID the fabric assigned. */
    public int flogi() throws NPortException {
        Frame reply = exchange(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, 0, FID_FLOGI, nextOxId()),
                Login.flogi(wwpn, wwnn, MAX_PAYLOAD).encode()));
        Els e;
        try {
            e = Els.decodeReply(FLOGI, reply.payload());
        } catch (FrameFormatException x) {
            throw new NPortException(name + ": malformed FLOGI reply", x);
        }
        if (!(e instanceof Login)) {
            throw new NPortException(name + ": FLOGI refused: " + e);
        }
        portId = reply.header().dId();
        return portId;
    }

    /** A CT request to the directory server; returns preamble and body of the answer. */
    public CtAnswer nameServer(NameServerDescriptor.Request r) throws NPortException {
        Frame reply = exchange(new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CTL, TYPE_CT, portId, FID_DIR_SERV,
                nextOxId()), r.encode()));
        try {
            byte[] p = reply.payload();
            return new CtAnswer(CtDescriptor.Header.decode(p), Arrays.copyOfRange(p, CtDescriptor.LENGTH, p.length));
        } catch (FrameFormatException x) {
            throw new NPortException(name + ": malformed CT answer", x);
        }
    }

    /** A name server answer. */
    public record CtAnswer(CtDescriptor.Header header, byte[] body) {
    }

    /**
     * Fabric login as Linux libfc does it: FLOGI, PLOGI to FFFFFCh, RNN_ID, RSPN_ID, RFT_ID (FCP),
     * RFF_ID (FCP features), SCR (full registration).
     */
    public void fabricLogin() throws NPortException {
        flogi();
        expectAccept(els(FID_DIR_SERV, Login.plogi(wwpn, wwnn, MAX_PAYLOAD, 2000)), "PLOGI to the directory server");
        expectCtAccept(nameServer(new NameServerDescriptor.RnnId(portId, wwnn)), "RNN_ID");
        expectCtAccept(nameServer(new NameServerDescriptor.RspnId(portId, name)), "RSPN_ID");
        expectCtAccept(nameServer(NameServerDescriptor.RftId.of(portId, TYPE_FCP)), "RFT_ID");
        int features = (initiator ? NameServerDescriptor.FCP_FEAT_INIT : 0) | (target ? NameServerDescriptor.FCP_FEAT_TARG : 0);
        expectCtAccept(nameServer(new NameServerDescriptor.RffId(portId, features, TYPE_FCP)), "RFF_ID");
        expectAccept(els(FID_FCTRL, new Els.Scr(SCRF_FULL)), "SCR");
    }

    /** GID_FT for FCP; empty when the name server answers "FC-4 types not registered". */
    public List<Integer> gidFtFcp() throws NPortException {
        CtAnswer a = nameServer(new NameServerDescriptor.GidFt(TYPE_FCP));
        if (a.header().isReject()) {
            if (a.header().explanation() == CtDescriptor.EXP_FTNR) {
                return List.of();
            }
            throw new NPortException(name + ": GID_FT rejected: " + a.header());
        }
        try {
            return NameServerDescriptor.decodeGidFtAccept(a.body());
        } catch (FrameFormatException e) {
            throw new NPortException(name + ": malformed GID_FT accept", e);
        }
    }

    /** PLOGI then PRLI (FCP) to {@code dId}; returns the PRLI accept. */
    public Prli login(int dId) throws NPortException {
        expectAccept(els(dId, Login.plogi(wwpn, wwnn, MAX_PAYLOAD, 2000)), "PLOGI to %06x".formatted(dId));
        Els e = els(dId, new Prli(PRLI, List.of(ServicePage.fcp(initiator, target))));
        expectAccept(e, "PRLI to %06x".formatted(dId));
        return (Prli) e;
    }

    private void expectAccept(Els e, String what) throws NPortException {
        if (e instanceof LsRjt r) {
            throw new NPortException("%s: %s rejected, reason 0x%02x explanation 0x%02x".formatted(name, what, r.reason(),
                    r.explanation()));
        }
    }

    private void expectCtAccept(CtAnswer a, String what) throws NPortException {
        if (!a.header().isAccept()) {
            throw new NPortException(name + ": " + what + " rejected: " + a.header());
        }
    }

    // ---- receiving

    @Override
    public void received(byte[] encapsulated) {
        Frame f;
        try {
            f = EncapsulationDescriptor.decode(encapsulated).frame();
        } catch (FrameFormatException e) {
            malformed.incrementAndGet();
            return;
        }
        if (keepReceived) {
            if (received.size() >= RECEIVED_KEPT) {
                received.poll();
            }
            received.add(f);
        }
        FrameHeader h = f.header();
        Fc4Listener l = fc4;
        if (l != null && h.dId() == portId && (h.type() == TYPE_FCP || h.rCtl() == R_CTL_BA_ABTS)) {
            l.frame(f);
            return;
        }
        if ((h.fCtl() & F_CTL_EX_CTX) != 0) {
            Pending waiting = pending.get(h.oxId());
            if (waiting != null && waiting.responder == h.sId()) {
                waiting.complete(f);
            }
            return;
        }
        if (h.dId() != portId || portId == 0) {
            malformed.incrementAndGet();
            return;
        }
        if (h.rCtl() == R_CTL_BA_ABTS) {
            end.send(new Frame(h.reply(R_CTL_BA_ACC, TYPE_BLS), new BaAcc(false, 0, h.oxId(), h.rxId(), 0, 0xFFFF).encode()));
        } else if (h.rCtl() == R_CTL_ELS_REQ) {
            answerEls(f);
        }
    }

    private void answerEls(Frame f) {
        FrameHeader h = f.header();
        Els answer;
        boolean notifyLogin = false;
        boolean notifyLogout = false;
        try {
            Els e = Els.decodeRequest(f.payload());
            if (e instanceof Els.Rscn r) {
                rscns.add(r);
                answer = new Els.LsAcc();
            } else if (e instanceof Login l && l.command() == PLOGI) {
                plogiFrom.put(h.sId(), l.wwpn());
                answer = Login.plogi(wwpn, wwnn, MAX_PAYLOAD, 2000).as(LS_ACC);
            } else if (e instanceof Prli && !plogiFrom.containsKey(h.sId())) {
                answer = new LsRjt(RJT_LOGIC, EXPL_PLOGI_REQD);
            } else if (e instanceof Prli p && p.command() == PRLI) {
                List<ServicePage> pages = new ArrayList<>();
                for (ServicePage s : p.pages()) {
                    boolean fcp = s.type() == TYPE_FCP;
                    ServicePage mine = ServicePage.fcp(initiator, target);
                    pages.add(new ServicePage(s.type(), 0, fcp ? PrliDescriptor.SPP_EST_IMG_PAIR | PrliDescriptor.SPP_RESP_ACK
                            : PrliDescriptor.SPP_RESP_INVL, 0, 0, fcp ? mine.serviceParams() : 0));
                }
                answer = new Prli(LS_ACC, pages);
                notifyLogin = true;
            } else if (e instanceof Els.Logo || e instanceof Prli) {
                if (e instanceof Els.Logo) {
                    plogiFrom.remove(h.sId());
                }
                notifyLogout = true;
                answer = new Els.LsAcc();
            } else if (e instanceof Els.Adisc) {
                answer = new Els.Adisc(LS_ACC, 0, wwpn, wwnn, portId);
            } else {
                answer = new LsRjt(RJT_UNSUP, EXPL_NONE);
            }
        } catch (FrameFormatException x) {
            answer = new LsRjt(x.problem() == FrameFormatException.Problem.UNKNOWN_ELS ? RJT_UNSUP : RJT_PROT, EXPL_NONE);
        }
        Fc4Listener l = fc4;
        if (l != null && notifyLogin) {
            l.processLogin(h.sId(), plogiFrom.get(h.sId()));
        }
        if (l != null && notifyLogout) {
            l.processLogout(h.sId());
        }
        end.send(new Frame(h.reply(R_CTL_ELS_REP, TYPE_ELS), answer.encode()));
    }

    @Override
    public void linkUp() {
        linkEvents.add("up");
    }

    @Override
    public void linkDown() {
        portId = 0;
        plogiFrom.clear();
        Fc4Listener l = fc4;
        if (l != null) {
            l.processLogout(-1);
        }
        linkEvents.add("down");
    }
}
