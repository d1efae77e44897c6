/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A STAND-IN for the DHIS2 web application, used by the tests because the
 * real WAR cannot be downloaded on the test machines.  It is not DHIS2.
 * It does the parts of DHIS2's start-up that an installer can get wrong:
 * it finds DHIS2_HOME the way DHIS2 does (the dhis2.home system property,
 * then the DHIS2_HOME environment variable, then /opt/dhis2), reads
 * dhis.conf once at start (a change needs a restart, as with DHIS2), and
 * connects to PostgreSQL with dhis.conf's own credentials.  It answers
 * /api/ping and /api/system/info with the fields the installer checks;
 * system/info carries "standIn": true so it is never mistaken for DHIS2.
 * Unlike DHIS2, system/info needs no login.
 *
 * The source is written against jakarta.servlet (Tomcat 10); build.sh
 * makes a javax.servlet copy (Tomcat 9) by rewriting the imports.
 */
package org.dhis2setup.standin;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class StandInServlet extends HttpServlet {
	private static final long serialVersionUID = 1L;
	private static final int LOGIN_TIMEOUT_SECONDS = 10;

	private String home;
	private Properties conf;
	private String confError;
	private String version = "unknown";
	private String revision = "standin";

	@Override
	public void init() throws ServletException {
		home = System.getProperty("dhis2.home");
		if (home == null || home.isEmpty())
			home = System.getenv("DHIS2_HOME");
		if (home == null || home.isEmpty())
			home = "/opt/dhis2";
		readVersion();
		File f = new File(home, "dhis.conf");
		conf = new Properties();
		try (Reader r = new InputStreamReader(new FileInputStream(f),
		    StandardCharsets.UTF_8)) {
			conf.load(r);
		} catch (IOException e) {
			confError = "cannot read " + f + ": " + e.getMessage();
			conf = null;
		}
		String driver = conf != null ? conf.getProperty(
		    "connection.driver_class", "org.postgresql.Driver").trim() :
		    "org.postgresql.Driver";
		try {
			/* The driver is in WEB-INF/lib: register it here. */
			Class.forName(driver);
		} catch (ClassNotFoundException e) {
			confError = "JDBC driver " + driver + " not found";
		}
		log("DHIS2 STAND-IN " + version + ": DHIS2_HOME=" + home +
		    (confError != null ? "; " + confError :
		    "; connection.url=" + prop("connection.url")));
	}

	private void readVersion() {
		try (InputStream in = StandInServlet.class.getResourceAsStream(
		    "/standin.properties")) {
			if (in == null)
				return;
			Properties p = new Properties();
			p.load(in);
			version = p.getProperty("version", version);
			revision = p.getProperty("revision", revision);
		} catch (IOException e) {
			/* The version is informational only. */
		}
	}

	private String prop(String key) {
		String v = conf != null ? conf.getProperty(key) : null;
		return v != null ? v.trim() : null;
	}

	@Override
	protected void doGet(HttpServletRequest req, HttpServletResponse resp)
	    throws IOException {
		String path = req.getPathInfo() != null ? req.getPathInfo() : "";
		if (path.endsWith(".json"))
			path = path.substring(0, path.length() - 5);
		switch (path) {
		case "/ping":
			resp.setContentType("text/plain;charset=UTF-8");
			resp.getWriter().print("pong");
			return;
		case "/system/info":
			systemInfo(req, resp);
			return;
		default:
			error(resp, 404, "Not Found", "no such path in the DHIS2 "
			    + "stand-in: /api" + path);
		}
	}

	private void systemInfo(HttpServletRequest req, HttpServletResponse resp)
	    throws IOException {
		if (confError != null) {
			error(resp, 500, "Internal Server Error", confError);
			return;
		}
		String url = prop("connection.url");
		String user = prop("connection.username");
		if (url == null || user == null) {
			error(resp, 500, "Internal Server Error", "dhis.conf in " +
			    home + " has no connection.url or connection.username");
			return;
		}
		StringBuilder db = new StringBuilder();
		DriverManager.setLoginTimeout(LOGIN_TIMEOUT_SECONDS);
		try (Connection c = DriverManager.getConnection(url, user,
		    prop("connection.password"));
		    Statement st = c.createStatement()) {
			String name, dbuser, dbversion;
			boolean spatial;
			try (ResultSet rs = st.executeQuery("select current_database(), "
			    + "current_user, current_setting('server_version')")) {
				rs.next();
				name = rs.getString(1);
				dbuser = rs.getString(2);
				dbversion = rs.getString(3);
			}
			try (ResultSet rs = st.executeQuery("select count(*) from "
			    + "pg_extension where extname = 'postgis'")) {
				rs.next();
				spatial = rs.getInt(1) > 0;
			}
			db.append("{\"name\":").append(q(name))
			    .append(",\"user\":").append(q(dbuser))
			    .append(",\"url\":").append(q(url))
			    .append(",\"databaseVersion\":").append(q(dbversion))
			    .append(",\"spatialSupport\":").append(spatial)
			    .append('}');
		} catch (SQLException e) {
			/* The driver's reason, never the password. */
			error(resp, 500, "Internal Server Error", "database "
			    + "connection failed (" + url + ", user " + user + "): "
			    + e.getMessage() + " [SQLState " + e.getSQLState() + "]");
			return;
		}
		resp.setStatus(200);
		resp.setContentType("application/json;charset=UTF-8");
		PrintWriter w = resp.getWriter();
		w.print("{\"standIn\":true");
		w.print(",\"version\":" + q(version));
		w.print(",\"revision\":" + q(revision));
		w.print(",\"contextPath\":" + q(baseOf(req)));
		w.print(",\"serverBaseUrl\":" + q(prop("server.base.url")));
		w.print(",\"environmentVariable\":\"DHIS2_HOME\"");
		w.print(",\"externalDirectory\":" + q(home));
		w.print(",\"javaVersion\":" + q(System.getProperty("java.version")));
		w.print(",\"serverInfo\":" + q(getServletContext().getServerInfo()));
		w.print(",\"databaseInfo\":" + db);
		w.print("}");
	}

	/*
	 * DHIS2's system/info "contextPath" is the base URL as the request
	 * saw it (scheme, host, port, path), which shows whether the proxy
	 * passed Host and the scheme through.
	 */
	private static String baseOf(HttpServletRequest req) {
		String scheme = req.getScheme();
		int port = req.getServerPort();
		boolean dflt = ("http".equals(scheme) && port == 80) ||
		    ("https".equals(scheme) && port == 443);
		return scheme + "://" + req.getServerName() +
		    (dflt ? "" : ":" + port) + req.getContextPath();
	}

	private static void error(HttpServletResponse resp, int code,
	    String status, String message) throws IOException {
		resp.setStatus(code);
		resp.setContentType("application/json;charset=UTF-8");
		resp.getWriter().print("{\"httpStatus\":" + q(status) +
		    ",\"httpStatusCode\":" + code + ",\"status\":\"ERROR\"" +
		    ",\"standIn\":true,\"message\":" + q(message) + "}");
	}

	private static String q(String s) {
		if (s == null)
			return "null";
		StringBuilder b = new StringBuilder("\"");
		for (int i = 0; i < s.length(); i++) {
			char ch = s.charAt(i);
			switch (ch) {
			case '"': b.append("\\\""); break;
			case '\\': b.append("\\\\"); break;
			case '\n': b.append("\\n"); break;
			case '\r': b.append("\\r"); break;
			case '\t': b.append("\\t"); break;
			default:
				if (ch < 0x20)
					b.append(String.format("\\u%04x", (int)ch));
				else
					b.append(ch);
			}
		}
		return b.append('"').toString();
	}
}
