package io.evasan.fabric.switching;

import io.evasan.fabric.frame.CtDescriptor;
import io.evasan.fabric.frame.CtDescriptor.Header;
import io.evasan.fabric.frame.FrameFormatException;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.frame.NameServerDescriptor.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiPredicate;

import static io.evasan.fabric.frame.CtDescriptor.*;

/**
 * The directory (name) server at FFFFFCh: one entry per logged-in N_Port (created at FLOGI with
 * its WWPN and WWNN, removed at logout or link loss), completed by the port's own registrations.
 * Invariants: every answer lists or names only ports zoned with the requester (the zoning
 * predicate is applied to each entry, so a port outside every zone with a target learns nothing
 * about it, not even that it exists); a port registers only for its own N_Port ID; not thread-safe
 * (the switch calls it under its lock).
 */
public final class NameServer {

    /** One name server entry. */
    public record Entry(int portId, long wwpn, long wwnn, BitSet fc4Types, Map<Integer, Integer> fc4Features,
                        String symbolicName) {
        public Entry {
            fc4Types = (BitSet) fc4Types.clone();
            fc4Features = Map.copyOf(fc4Features);
        }

        @Override
        public BitSet fc4Types() {
            return (BitSet) fc4Types.clone();
        }
    }

    /** The reply payload, and the port whose registration changed (for RSCN), if any. */
    public record Answer(byte[] payload, Optional<Integer> changed) {
    }

    private final TreeMap<Integer, Entry> entries = new TreeMap<>();

    public void login(int portId, long wwpn, long wwnn) {
        entries.put(portId, new Entry(portId, wwpn, wwnn, new BitSet(), Map.of(), ""));
    }

    public void logout(int portId) {
        entries.remove(portId);
    }

    public Optional<Entry> entry(int portId) {
        return Optional.ofNullable(entries.get(portId));
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /**
     * Answers one CT request from {@code requester} ({@code requesterWwpn}); {@code zoned} says
     * whether two WWPNs share a zone. Malformed requests are answered with a CT reject: preamble too
     * short or a body of the wrong size: reason IUSIZ; wrong revision: VER; wrong GS type/subtype:
     * UNSUP; unknown command: CMD; a bad field: PROTO.
     */
    public Answer handle(int requester, long requesterWwpn, byte[] ct, BiPredicate<Long, Long> zoned) {
        Header h;
        try {
            h = Header.decode(ct);
        } catch (FrameFormatException e) {
            if (e.problem() == FrameFormatException.Problem.TRUNCATED) {
                return reject(RJT_IUSIZ, EXP_NONE);
            }
            return reject(ct[0] != REVISION ? RJT_VER : RJT_UNSUP, EXP_NONE);
        }
        Request r;
        try {
            r = NameServerDescriptor.decodeRequest(h.code(), Arrays.copyOfRange(ct, CtDescriptor.LENGTH, ct.length));
        } catch (FrameFormatException e) {
            return switch (e.problem()) {
                case BAD_CT -> reject(RJT_CMD, EXP_NONE);
                case TRUNCATED, BAD_LENGTH -> reject(RJT_IUSIZ, EXP_NONE);
                default -> reject(RJT_PROTO, EXP_NONE);
            };
        }
        return answer(requester, requesterWwpn, r, zoned);
    }

    private Answer answer(int requester, long requesterWwpn, Request r, BiPredicate<Long, Long> z) {
        if (r instanceof GidFt q) {
            List<Integer> ids = new ArrayList<>();
            for (Entry e : visible(requesterWwpn, z)) {
                if (e.fc4Types.get(q.fc4Type())) {
                    ids.add(e.portId());
                }
            }
            return ids.isEmpty() ? reject(RJT_UNABL, EXP_FTNR) : accept(NameServerDescriptor.encodeGidFtAccept(ids));
        }
        if (r instanceof GpnFt q) {
            List<PortEntry> out = new ArrayList<>();
            for (Entry e : visible(requesterWwpn, z)) {
                if (e.fc4Types.get(q.fc4Type())) {
                    out.add(new PortEntry(e.portId(), e.wwpn()));
                }
            }
            return out.isEmpty() ? reject(RJT_UNABL, EXP_FTNR) : accept(NameServerDescriptor.encodeGpnFtAccept(out));
        }
        if (r instanceof GpnId q) {
            return find(q.portId(), requesterWwpn, z).map(e -> accept(NameServerDescriptor.encodeNameAccept(e.wwpn())))
                    .orElseGet(() -> reject(RJT_UNABL, EXP_PID));
        }
        if (r instanceof GnnId q) {
            return find(q.portId(), requesterWwpn, z).map(e -> accept(NameServerDescriptor.encodeNameAccept(e.wwnn())))
                    .orElseGet(() -> reject(RJT_UNABL, EXP_PID));
        }
        if (r instanceof GidPn q) {
            return visible(requesterWwpn, z).stream().filter(e -> e.wwpn() == q.wwpn()).findFirst()
                    .map(e -> accept(NameServerDescriptor.encodePortIdAccept(e.portId())))
                    .orElseGet(() -> reject(RJT_UNABL, EXP_PNAM));
        }
        if (r instanceof RftId q) {
            return register(requester, q.portId(), e -> new Entry(e.portId(), e.wwpn(), e.wwnn(), q.types(),
                    e.fc4Features(), e.symbolicName()), true);
        }
        if (r instanceof RffId q) {
            Entry e = entries.get(requester);
            if (q.portId() == requester && e != null && !e.fc4Types.get(q.fc4Type())) {
                return reject(RJT_UNABL, EXP_FTNR);
            }
            return register(requester, q.portId(), x -> {
                Map<Integer, Integer> f = new HashMap<>(x.fc4Features());
                f.put(q.fc4Type(), q.features());
                return new Entry(x.portId(), x.wwpn(), x.wwnn(), x.fc4Types, f, x.symbolicName());
            }, true);
        }
        if (r instanceof RnnId q) {
            return register(requester, q.portId(), e -> new Entry(e.portId(), e.wwpn(), q.wwnn(), e.fc4Types,
                    e.fc4Features(), e.symbolicName()), false);
        }
        RspnId q = (RspnId) r;
        return register(requester, q.portId(), e -> new Entry(e.portId(), e.wwpn(), e.wwnn(), e.fc4Types,
                e.fc4Features(), q.name()), false);
    }

    private List<Entry> visible(long requesterWwpn, BiPredicate<Long, Long> zoned) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (zoned.test(requesterWwpn, e.wwpn())) {
                out.add(e);
            }
        }
        return out;
    }

    private Optional<Entry> find(int portId, long requesterWwpn, BiPredicate<Long, Long> zoned) {
        Entry e = entries.get(portId);
        return e != null && zoned.test(requesterWwpn, e.wwpn()) ? Optional.of(e) : Optional.empty();
    }

    private Answer register(int requester, int portId, java.util.function.UnaryOperator<Entry> change, boolean notify) {
        Entry e = entries.get(requester);
        if (portId != requester || e == null) {
            return reject(RJT_UNABL, EXP_PID);
        }
        entries.put(requester, change.apply(e));
        return new Answer(Header.accept().with(new byte[0]), notify ? Optional.of(requester) : Optional.empty());
    }

    private static Answer accept(byte[] body) {
        return new Answer(Header.accept().with(body), Optional.empty());
    }

    private static Answer reject(int reason, int explanation) {
        return new Answer(Header.reject(reason, explanation).with(new byte[0]), Optional.empty());
    }
}
