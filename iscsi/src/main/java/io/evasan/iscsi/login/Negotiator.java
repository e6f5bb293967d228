package io.evasan.iscsi.login;

import io.evasan.iscsi.IscsiTargetConfig;

/**
 * The target's side of operational parameter negotiation (RFC 7143 sections 6.2 and 13). Holds the
 * values in force for one connection/session, starting at the RFC defaults. Invariant: every
 * answer is a value the RFC's result function allows (min/max/AND/OR/first-acceptable-from-list),
 * out-of-range or malformed values are answered {@code Reject} and leave the current value
 * unchanged, unknown keys are answered {@code NotUnderstood}, session keys in a discovery session
 * {@code Irrelevant}.
 */
public final class Negotiator {
    public static final String NOT_UNDERSTOOD = "NotUnderstood";
    public static final String IRRELEVANT = "Irrelevant";
    public static final String REJECT = "Reject";

    private final IscsiTargetConfig cfg;

    // values in force (RFC defaults)
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxConnections = 1;
    private boolean initialR2T = true;
    private boolean immediateData = true;
    /** The initiator's declared receive limit: caps our outgoing data segments. */
    private int initiatorMaxRecvDataSegmentLength = 8192;
    private int maxBurstLength = 262144;
    private int firstBurstLength = 65536;
    private int maxOutstandingR2T = 1;
    private boolean dataPduInOrder = true;
    private boolean dataSequenceInOrder = true;
    private int errorRecoveryLevel;
    private int defaultTime2Wait = 2;
    private int defaultTime2Retain = 20;
    private boolean firstBurstAnswered;

    public Negotiator(IscsiTargetConfig cfg) {
        this.cfg = cfg;
    }

    /** Whether a key is an operational key this negotiator answers (vs security or declarative). */
    public static boolean isOperational(String key) {
        switch (key) {
            case "HeaderDigest", "DataDigest", "MaxConnections", "InitialR2T", "ImmediateData",
                 "MaxRecvDataSegmentLength", "MaxBurstLength", "FirstBurstLength", "MaxOutstandingR2T",
                 "DataPDUInOrder", "DataSequenceInOrder", "ErrorRecoveryLevel", "DefaultTime2Wait",
                 "DefaultTime2Retain", "IFMarker", "OFMarker", "IFMarkInt", "OFMarkInt",
                 "TaskReporting", "iSCSIProtocolLevel" -> {
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static boolean sessionWide(String key) {
        switch (key) {
            case "MaxConnections", "InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength",
                 "MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder", "DefaultTime2Wait",
                 "DefaultTime2Retain" -> {
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * Answers one operational key offered by the initiator.
     *
     * @return the value to send back, or null when the key is declarative and needs no answer
     */
    public String answer(String key, String value, boolean discovery) {
        if (value == null) {
            return REJECT;
        }
        if (discovery && sessionWide(key) && !key.equals("MaxConnections") && !key.startsWith("DefaultTime2")) {
            return IRRELEVANT;
        }
        switch (key) {
            case "HeaderDigest": {
                String v = pickDigest(value, cfg.headerDigestRequired());
                if (v == null) {
                    return REJECT;
                }
                headerDigest = v.equals("CRC32C");
                return v;
            }
            case "DataDigest": {
                String v = pickDigest(value, false);
                if (v == null) {
                    return REJECT;
                }
                dataDigest = v.equals("CRC32C");
                return v;
            }
            case "MaxConnections": {
                long n = TextKeys.number(value, 1, 65535);
                if (n < 0) {
                    return REJECT;
                }
                maxConnections = 1;
                return "1";
            }
            case "InitialR2T": {
                Boolean b = bool(value);
                if (b == null) {
                    return REJECT;
                }
                initialR2T = b || cfg.initialR2T();
                return yesNo(initialR2T);
            }
            case "ImmediateData": {
                Boolean b = bool(value);
                if (b == null) {
                    return REJECT;
                }
                immediateData = b && cfg.immediateData();
                return yesNo(immediateData);
            }
            case "MaxRecvDataSegmentLength": {
                long n = TextKeys.number(value, 512, 16777215);
                if (n < 0) {
                    return REJECT;
                }
                initiatorMaxRecvDataSegmentLength = (int) n;
                return null; // declarative; ours is declared separately
            }
            case "MaxBurstLength": {
                long n = TextKeys.number(value, 512, 16777215);
                if (n < 0) {
                    return REJECT;
                }
                maxBurstLength = (int) Math.min(n, cfg.maxBurstLength());
                if (firstBurstLength > maxBurstLength) {
                    firstBurstLength = maxBurstLength;
                }
                return Integer.toString(maxBurstLength);
            }
            case "FirstBurstLength": {
                long n = TextKeys.number(value, 512, 16777215);
                if (n < 0) {
                    return REJECT;
                }
                firstBurstLength = (int) Math.min(n, cfg.firstBurstLength());
                firstBurstAnswered = true;
                return Integer.toString(firstBurstLength);
            }
            case "MaxOutstandingR2T": {
                long n = TextKeys.number(value, 1, 65535);
                if (n < 0) {
                    return REJECT;
                }
                maxOutstandingR2T = (int) Math.min(n, cfg.maxOutstandingR2T());
                return Integer.toString(maxOutstandingR2T);
            }
            case "DataPDUInOrder": {
                Boolean b = bool(value);
                if (b == null) {
                    return REJECT;
                }
                dataPduInOrder = true; // OR with our Yes
                return "Yes";
            }
            case "DataSequenceInOrder": {
                Boolean b = bool(value);
                if (b == null) {
                    return REJECT;
                }
                dataSequenceInOrder = true;
                return "Yes";
            }
            case "ErrorRecoveryLevel": {
                long n = TextKeys.number(value, 0, 2);
                if (n < 0) {
                    return REJECT;
                }
                errorRecoveryLevel = 0;
                return "0";
            }
            case "DefaultTime2Wait": {
                long n = TextKeys.number(value, 0, 3600);
                if (n < 0) {
                    return REJECT;
                }
                defaultTime2Wait = (int) Math.max(n, cfg.defaultTime2Wait());
                return Integer.toString(defaultTime2Wait);
            }
            case "DefaultTime2Retain": {
                long n = TextKeys.number(value, 0, 3600);
                if (n < 0) {
                    return REJECT;
                }
                defaultTime2Retain = (int) Math.min(n, cfg.defaultTime2Retain());
                return Integer.toString(defaultTime2Retain);
            }
            case "IFMarker", "OFMarker": {
                Boolean b = bool(value);
                return b == null ? REJECT : "No";
            }
            case "IFMarkInt", "OFMarkInt":
                return REJECT;
            case "TaskReporting": {
                return value.equals("RFC3720") || value.contains("RFC3720") ? "RFC3720" : REJECT;
            }
            case "iSCSIProtocolLevel": {
                long n = TextKeys.number(value, 0, 31);
                return n < 0 ? REJECT : "0";
            }
            default:
                return NOT_UNDERSTOOD;
        }
    }

    private String pickDigest(String list, boolean required) {
        for (String v : list.split(",")) {
            if (v.equals("None") && !required) {
                return v;
            }
            if (v.equals("CRC32C") && cfg.digestsAllowed()) {
                return v;
            }
        }
        return null;
    }

    private static Boolean bool(String v) {
        if (v.equals("Yes")) {
            return Boolean.TRUE;
        }
        if (v.equals("No")) {
            return Boolean.FALSE;
        }
        return null;
    }

    private static String yesNo(boolean b) {
        return b ? "Yes" : "No";
    }

    /**
     * Keeps FirstBurstLength &lt;= MaxBurstLength (RFC 7143 13.14) when both were answered in one
     * exchange: lowers the FirstBurstLength answer already in {@code out}.
     */
    public void reconcile(java.util.List<TextKeys.Pair> out) {
        if (firstBurstLength > maxBurstLength) {
            firstBurstLength = maxBurstLength;
        }
        String v = Integer.toString(firstBurstLength);
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).key().equals("FirstBurstLength") && !out.get(i).value().equals(v)
                    && !out.get(i).value().equals(REJECT)) {
                out.set(i, new TextKeys.Pair("FirstBurstLength", Integer.toString(firstBurstLength)));
            }
        }
    }

    /** Applies our own limits to values the initiator did not negotiate (RFC defaults otherwise). */
    public void finish() {
        if (!firstBurstAnswered && firstBurstLength > maxBurstLength) {
            firstBurstLength = maxBurstLength;
        }
        maxOutstandingR2T = Math.min(maxOutstandingR2T, cfg.maxOutstandingR2T());
        maxBurstLength = Math.min(maxBurstLength, cfg.maxBurstLength());
        firstBurstLength = Math.min(firstBurstLength, Math.min(cfg.firstBurstLength(), maxBurstLength));
    }

    public boolean headerDigest() { return headerDigest; }
    public boolean dataDigest() { return dataDigest; }
    public int maxConnections() { return maxConnections; }
    public boolean initialR2T() { return initialR2T; }
    public boolean immediateData() { return immediateData; }
    public int initiatorMaxRecvDataSegmentLength() { return initiatorMaxRecvDataSegmentLength; }
    public int maxBurstLength() { return maxBurstLength; }
    public int firstBurstLength() { return firstBurstLength; }
    public int maxOutstandingR2T() { return maxOutstandingR2T; }
    public boolean dataPduInOrder() { return dataPduInOrder; }
    public boolean dataSequenceInOrder() { return dataSequenceInOrder; }
    public int errorRecoveryLevel() { return errorRecoveryLevel; }
    public int defaultTime2Wait() { return defaultTime2Wait; }
    public int defaultTime2Retain() { return defaultTime2Retain; }
}
