using System.Globalization;
using Npgsql;

namespace ThirdPartyClients.Postgres;

/// <summary>
/// The demo takes PostgreSQL's address in libpq's "key=value key=value" form (what CO_TEST_PG and
/// tests/services/postgres.sh use, and what libpq needs as is); Npgsql wants its own syntax.
/// </summary>
internal static class ConnInfo
{
    /// <summary>An Npgsql connection string for <paramref name="conninfo"/> with a pool of at most
    /// <paramref name="poolSize"/>; throws on a key this sample does not translate (values must not be quoted).</summary>
    public static string ToNpgsql(string conninfo, int poolSize)
    {
        var builder = new NpgsqlConnectionStringBuilder { MaxPoolSize = poolSize, Timeout = 15, CommandTimeout = 30 };
        foreach (string pair in conninfo.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            string value = parts.Length == 2 ? parts[1] : throw new FormatException($"PostgreSQL connection string: '{pair}' is not key=value");
            switch (parts[0])
            {
                case "host": builder.Host = value; break;
                case "port": builder.Port = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "user": builder.Username = value; break;
                case "dbname": builder.Database = value; break;
                case "password": builder.Password = value; break;
                default: throw new FormatException($"PostgreSQL connection string: key '{parts[0]}' is not one this demo translates for Npgsql");
            }
        }

        return builder.ConnectionString;
    }
}
