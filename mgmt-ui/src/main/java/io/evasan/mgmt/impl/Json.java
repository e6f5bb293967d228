package io.evasan.mgmt.impl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.math.BigInteger;
import java.util.Set;

/**
 * Strict reading of JSON request bodies: every failure is an {@link ApiError} 400 naming the field.
 * Invariant: a request that passes these checks has exactly the known fields with the right types; a body that is
 * not a JSON object (an array, a string, malformed text) is a 400 {@code body} whose text names the JSON kind,
 * never a Java exception.
 */
final class Json {
    private Json() {
    }

    static JsonObject body(RoutingContext ctx, Set<String> allowed) {
        if (ctx.body() == null || ctx.body().length() <= 0) {
            throw ApiError.badRequest("body", "a JSON object body is required");
        }
        Object v;
        try {
            v = io.vertx.core.json.Json.decodeValue(ctx.body().buffer());
        } catch (DecodeException e) {
            throw ApiError.badRequest("body", "body is not valid JSON: " + decodeProblem(e));
        }
        if (!(v instanceof JsonObject o)) {
            throw ApiError.badRequest("body", "body must be a JSON object {...}, got " + kind(v));
        }
        for (String k : o.fieldNames()) {
            if (!allowed.contains(k)) {
                throw ApiError.badRequest(k, "unknown field '" + k + "'; allowed: " + allowed);
            }
        }
        return o;
    }

    /** The parser's complaint without its Java source description ("[Source: ...]"), one line. */
    private static String decodeProblem(DecodeException e) {
        String m = String.valueOf(e.getMessage()).replaceFirst("^Failed to decode:\\s*", "");
        int cut = m.indexOf(" at [Source");
        m = cut >= 0 ? m.substring(0, cut) : m;
        cut = m.indexOf(" (start marker");
        m = cut >= 0 ? m.substring(0, cut) : m;
        return m.lines().findFirst().orElse("malformed").strip();
    }

    /** The JSON kind of a decoded value, for error texts (never a Java class name). */
    static String kind(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof JsonArray) {
            return "an array";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Number) {
            return "a number";
        }
        return "a JSON value that is not an object";
    }

    static String string(JsonObject o, String field) {
        Object v = o.getValue(field);
        if (v == null) {
            throw ApiError.badRequest(field, "field '" + field + "' is required");
        }
        if (!(v instanceof String s)) {
            throw ApiError.badRequest(field, "field '" + field + "' must be a string");
        }
        if (s.isEmpty()) {
            throw ApiError.badRequest(field, "field '" + field + "' must not be empty");
        }
        return s;
    }

    static long integer(JsonObject o, String field, long min, long max) {
        Object v = o.getValue(field);
        if (v == null) {
            throw ApiError.badRequest(field, "field '" + field + "' is required");
        }
        long n;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            n = ((Number) v).longValue();
        } else if (v instanceof BigInteger) {
            throw ApiError.badRequest(field, "field '" + field + "' is out of range " + min + ".." + max);
        } else {
            throw ApiError.badRequest(field, "field '" + field + "' must be an integer");
        }
        if (n < min || n > max) {
            throw ApiError.badRequest(field, "field '" + field + "' = " + n + " is out of range " + min + ".." + max);
        }
        return n;
    }

    static boolean optionalBoolean(JsonObject o, String field, boolean dflt) {
        Object v = o.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw ApiError.badRequest(field, "field '" + field + "' must be true or false");
        }
        return b;
    }

    static int pathInt(RoutingContext ctx, String param) {
        String s = ctx.pathParam(param);
        try {
            int n = Integer.parseInt(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException | NullPointerException e) {
            throw ApiError.badRequest(param, "path parameter '" + param + "' must be a non-negative integer, got '" + s + "'");
        }
    }
}
