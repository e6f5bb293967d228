package io.evasan.mgmt.impl;

import io.evasan.nsc.lun.InitiatorName;
import io.vertx.core.json.JsonObject;

/**
 * The API's side of initiator names: the rule is the cell's {@link InitiatorName} (RFC 7143 §4.2.7, RFC 3722, FC WWPNs);
 * this class turns a violation into a 400 naming the request field and the bad value, for every route that takes an
 * initiator name from a client (LUN and snapshot present, host create and update, fabric zones). Invariant: a
 * name {@link #require} accepts is one the cell's presentations accept.
 */
public final class InitiatorNames {
    /** RFC 7143 §4.2.7.1: an iSCSI name is at most 223 bytes. */
    public static final int MAX_BYTES = InitiatorName.MAX_BYTES;
    /** The formats, for error texts. */
    static final String FORMATS = InitiatorName.FORMATS;

    private InitiatorNames() {
    }

    /** Why {@code name} is not an initiator name, or null when it is one ({@link InitiatorName#problem}). */
    public static String problem(String name) {
        return InitiatorName.problem(name);
    }

    /** True when {@code name} is an FC WWPN ({@code xx:xx:xx:xx:xx:xx:xx:xx}, any case). */
    public static boolean isWwpn(String name) {
        return InitiatorName.isWwpn(name);
    }

    /**
     * {@code value} when it is an initiator name (a WWPN in lower case). @throws ApiError 400 naming {@code field}
     */
    public static String require(String value, String field) {
        return require(value, field, "");
    }

    private static String require(String value, String field, String alternative) {
        String p = problem(value);
        if (p != null) {
            throw ApiError.badRequest(field, "field '" + field + "' = '" + value + "' is not an iSCSI initiator name: it "
                    + p + " (" + FORMATS + ")" + alternative);
        }
        return isWwpn(value) ? value.toLowerCase(java.util.Locale.ROOT) : value;
    }

    /**
     * The string member {@code field} of a request body, an initiator name or, when {@code wildcard}, {@code "*"}
     * (every initiator, as a presentation's initiator). @throws ApiError 400 naming {@code field}
     */
    static String field(JsonObject body, String field, boolean wildcard) {
        String v = Json.string(body, field);
        return wildcard && v.equals("*") ? v : require(v, field, wildcard ? "; or '*' for every initiator" : "");
    }
}
