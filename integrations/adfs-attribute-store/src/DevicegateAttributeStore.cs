// devicegate's AD FS custom attribute store: forwards each claim-rule query, unsubstituted, with its
// parameters, to POST /v1/adfs/attribute-store/query and returns the table devicegate answers.
//
// Fails closed: a timeout, a transport error, a non-2xx answer, malformed JSON or a table whose columns
// do not match the query throws (AttributeStoreQueryFormatException for a 400, otherwise
// AttributeStoreQueryExecutionException), so AD FS fails the token request; it never returns an empty
// table in place of an error. No retries; no process-wide settings (ServicePointManager is never
// touched: TLS, the client certificate and certificate checks live on this store's own handler).
using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.IdentityServer.ClaimsPolicy.Engine.AttributeStore;

namespace Devicegate.AdfsAttributeStore
{
    public sealed class DevicegateAttributeStore : IAttributeStore
    {
        public const int DefaultTimeoutMs = 1500;
        public const int MinTimeoutMs = 100;
        public const int MaxTimeoutMs = 5000;
        public const string QueryPath = "v1/adfs/attribute-store/query";
        public const int DefaultMaxConnections = 64;
        const int MaxResponseBytes = 1024 * 1024;

        // Immutable once made; AD FS shares one store instance between all concurrent token requests.
        sealed class Settings
        {
            public HttpClient Client;
            public Uri Endpoint;
            public TimeSpan Timeout;
            public string StoreName;
            public string Node;
        }

        volatile Settings settings;

        public void Initialize(Dictionary<string, string> config)
        {
            if (config == null) throw new AttributeStoreInvalidConfigurationException("devicegate store: no configuration (Add-AdfsAttributeStore -Configuration @{ Url = ...; ClientCertThumbprint = ... })");
            string url = Get(config, "Url");
            Uri baseUri;
            if (url == null || !Uri.TryCreate(url.EndsWith("/") ? url : url + "/", UriKind.Absolute, out baseUri))
                throw new AttributeStoreInvalidConfigurationException("devicegate store: Url must be an absolute URL such as https://devicegate.contoso.com:8443/");
            bool allowHttp = string.Equals(Get(config, "AllowHttp"), "true", StringComparison.OrdinalIgnoreCase);
            if (baseUri.Scheme != Uri.UriSchemeHttps && !(allowHttp && baseUri.Scheme == Uri.UriSchemeHttp))
                throw new AttributeStoreInvalidConfigurationException("devicegate store: Url must be https:// (http:// only with AllowHttp = true, for a lab)");

            int timeoutMs = DefaultTimeoutMs;
            string timeoutText = Get(config, "TimeoutMs");
            if (timeoutText != null && (!int.TryParse(timeoutText, out timeoutMs) || timeoutMs < MinTimeoutMs || timeoutMs > MaxTimeoutMs))
                throw new AttributeStoreInvalidConfigurationException("devicegate store: TimeoutMs must be a whole number from " + MinTimeoutMs + " to " + MaxTimeoutMs);

            int maxConnections = DefaultMaxConnections;
            string connectionsText = Get(config, "MaxConnections");
            if (connectionsText != null && (!int.TryParse(connectionsText, out maxConnections) || maxConnections < 1 || maxConnections > 1024))
                throw new AttributeStoreInvalidConfigurationException("devicegate store: MaxConnections must be a whole number from 1 to 1024");

            string thumbprint = Get(config, "ClientCertThumbprint");
            string token = Get(config, "BearerToken");
            if (thumbprint == null && token == null)
                throw new AttributeStoreInvalidConfigurationException("devicegate store: set ClientCertThumbprint (mutual TLS, recommended) or BearerToken");

            var handler = new WebRequestHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = string.Equals(Get(config, "UseSystemProxy"), "true", StringComparison.OrdinalIgnoreCase),
                AutomaticDecompression = DecompressionMethods.None,
            };
            if (thumbprint != null) handler.ClientCertificates.Add(FindClientCertificate(thumbprint));

            var client = new HttpClient(handler, true)
            {
                Timeout = TimeSpan.FromMilliseconds(timeoutMs),
                MaxResponseContentBufferSize = MaxResponseBytes,
            };
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (token != null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            // .NET Framework allows 2 connections per host outside ASP.NET: a slow answer would queue every
            // other token request behind it. Raise the limit for devicegate's own endpoint only (its
            // ServicePoint, keyed by scheme, host and port); nothing process-wide changes.
            var endpoint = new Uri(baseUri, QueryPath);
            ServicePointManager.FindServicePoint(endpoint).ConnectionLimit = maxConnections;

            // A configuration change makes a new client; queries in flight finish on the old one.
            settings = new Settings
            {
                Client = client,
                Endpoint = endpoint,
                Timeout = TimeSpan.FromMilliseconds(timeoutMs),
                StoreName = Get(config, "StoreName") ?? "devicegate",
                Node = Environment.MachineName,
            };
        }

        public IAsyncResult BeginExecuteQuery(string query, string[] parameters, AsyncCallback callback, object state)
        {
            Settings s = settings;
            if (s == null) throw new AttributeStoreQueryExecutionException("devicegate store: not initialized");
            if (query == null) throw new AttributeStoreQueryFormatException("devicegate store: the rule has no query");

            var result = new TaskCompletionSource<string[][]>(state);
            string requestId = Guid.NewGuid().ToString();
            string[] expected = ExpectedColumns(query);
            HttpRequestMessage request = null;
            CancellationTokenSource timeout = null;
            Task<HttpResponseMessage> sending;
            try
            {
                var body = new QueryRequest { Query = query, Params = parameters ?? new string[0], Store = s.StoreName, Node = s.Node, RequestId = requestId };
                request = new HttpRequestMessage(HttpMethod.Post, s.Endpoint) { Content = new ByteArrayContent(ToJson(body)) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                timeout = new CancellationTokenSource(s.Timeout);
                sending = s.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            }
            catch (Exception e)
            {
                if (request != null) request.Dispose();
                if (timeout != null) timeout.Dispose();
                result.SetException(new AttributeStoreQueryExecutionException("devicegate store: the request could not be sent (request " + requestId + "): " + e.Message, e));
                if (callback != null) callback(result.Task);
                return result.Task;
            }
            HttpRequestMessage sent = request;
            CancellationTokenSource timer = timeout;
            sending.ContinueWith(t =>
            {
                try
                {
                    result.TrySetResult(Complete(t, expected, s, requestId));
                }
                catch (AttributeStoreException e)
                {
                    result.TrySetException(e);
                }
                catch (Exception e)
                {
                    result.TrySetException(new AttributeStoreQueryExecutionException("devicegate store: " + e.Message + " (request " + requestId + ")", e));
                }
                finally
                {
                    sent.Dispose();
                    timer.Dispose();
                }
                if (callback != null) callback(result.Task);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return result.Task;
        }

        public string[][] EndExecuteQuery(IAsyncResult result)
        {
            var task = result as Task<string[][]>;
            if (task == null) throw new AttributeStoreQueryExecutionException("devicegate store: EndExecuteQuery needs the IAsyncResult of BeginExecuteQuery");
            Settings s = settings;
            TimeSpan bound = (s != null ? s.Timeout : TimeSpan.FromMilliseconds(MaxTimeoutMs)) + TimeSpan.FromSeconds(1);
            // The HttpClient timeout ends every request; this bound only guards against a lost continuation.
            if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(bound))
                throw new AttributeStoreQueryExecutionException("devicegate store: no answer within " + (int)bound.TotalMilliseconds + " ms");
            try
            {
                return task.GetAwaiter().GetResult();
            }
            catch (AttributeStoreException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw new AttributeStoreQueryExecutionException("devicegate store: " + e.Message, e);
            }
        }

        static string[][] Complete(Task<HttpResponseMessage> sending, string[] expected, Settings s, string requestId)
        {
            if (sending.IsCanceled)
                throw new AttributeStoreQueryExecutionException("devicegate store: no answer from " + s.Endpoint.Authority + " within " + (int)s.Timeout.TotalMilliseconds + " ms (request " + requestId + ")");
            if (sending.IsFaulted)
            {
                Exception inner = sending.Exception.GetBaseException();
                if (inner is TaskCanceledException || inner is OperationCanceledException)
                    throw new AttributeStoreQueryExecutionException("devicegate store: no answer from " + s.Endpoint.Authority + " within " + (int)s.Timeout.TotalMilliseconds + " ms (request " + requestId + ")", inner);
                throw new AttributeStoreQueryExecutionException("devicegate store: " + s.Endpoint.Authority + " could not be reached (request " + requestId + "): " + inner.Message, inner);
            }
            using (HttpResponseMessage response = sending.Result)
            {
                // Buffered by SendAsync (ResponseContentRead): this read does not wait on the network.
                byte[] bytes = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                int status = (int)response.StatusCode;
                if (status == 400)
                    throw new AttributeStoreQueryFormatException("devicegate store: query rejected: " + DescribeError(bytes) + " (request " + requestId + ")");
                if (status != 200)
                    throw new AttributeStoreQueryExecutionException("devicegate store: HTTP " + status + " from " + s.Endpoint.Authority + ": " + DescribeError(bytes) + " (request " + requestId + ")");
                MediaTypeHeaderValue type = response.Content.Headers.ContentType;
                if (type == null || !string.Equals(type.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
                    throw new AttributeStoreQueryExecutionException("devicegate store: the answer is not application/json (request " + requestId + ")");
                return ToTable(bytes, expected, requestId);
            }
        }

        /** The response's rows as AD FS wants them (rows x columns), after every check. */
        static string[][] ToTable(byte[] bytes, string[] expected, string requestId)
        {
            QueryResponse answer;
            try
            {
                answer = (QueryResponse)new DataContractJsonSerializer(typeof(QueryResponse)).ReadObject(new MemoryStream(bytes));
            }
            catch (Exception e)
            {
                throw new AttributeStoreQueryExecutionException("devicegate store: the answer is not valid JSON of the expected shape (request " + requestId + ")", e);
            }
            if (answer == null || answer.Columns == null || answer.Rows == null)
                throw new AttributeStoreQueryExecutionException("devicegate store: the answer lacks columns or rows (request " + requestId + ")");
            string[] columns = answer.Columns;
            if (expected != null)
            {
                if (columns.Length != expected.Length)
                    throw new AttributeStoreQueryExecutionException("devicegate store: the query lists " + expected.Length + " column(s) but the answer has " + columns.Length + " (request " + requestId + ")");
                for (int i = 0; i < columns.Length; i++)
                {
                    if (columns[i] == null || !string.Equals(columns[i].Trim(), expected[i], StringComparison.OrdinalIgnoreCase))
                        throw new AttributeStoreQueryExecutionException("devicegate store: answer column " + (i + 1) + " is not \"" + expected[i] + "\" (request " + requestId + ")");
                }
            }
            if (columns.Length == 0)
                throw new AttributeStoreQueryExecutionException("devicegate store: the answer has no columns (request " + requestId + ")");
            string[][] rows = answer.Rows;
            for (int r = 0; r < rows.Length; r++)
            {
                if (rows[r] == null || rows[r].Length != columns.Length)
                    throw new AttributeStoreQueryExecutionException("devicegate store: answer row " + (r + 1) + " does not have " + columns.Length + " value(s) (request " + requestId + ")");
                for (int c = 0; c < columns.Length; c++)
                {
                    if (rows[r][c] == null)
                        throw new AttributeStoreQueryExecutionException("devicegate store: answer row " + (r + 1) + " has a null value (request " + requestId + ")");
                }
            }
            return rows;
        }

        /** The column names the query lists (its second ";" part), or null when the query has none (devicegate then answers 400). */
        static string[] ExpectedColumns(string query)
        {
            string[] parts = query.Split(';');
            if (parts.Length < 2) return null;
            string[] names = parts[1].Split(',');
            for (int i = 0; i < names.Length; i++) names[i] = names[i].Trim().ToLowerInvariant();
            return names;
        }

        static string DescribeError(byte[] bytes)
        {
            try
            {
                var envelope = (ErrorEnvelope)new DataContractJsonSerializer(typeof(ErrorEnvelope)).ReadObject(new MemoryStream(bytes));
                if (envelope != null && envelope.Error != null && envelope.Error.Code != null)
                {
                    string where = envelope.Error.Position.HasValue ? " at query position " + envelope.Error.Position.Value : "";
                    return envelope.Error.Code + where + ": " + Shorten(envelope.Error.Message);
                }
            }
            catch (Exception)
            {
                // not devicegate's error shape: describe it by size only
            }
            return "no devicegate error body (" + bytes.Length + " bytes)";
        }

        static string Shorten(string text)
        {
            if (text == null) return "";
            return text.Length <= 300 ? text : text.Substring(0, 300) + "...";
        }

        static string Get(Dictionary<string, string> config, string key)
        {
            foreach (KeyValuePair<string, string> pair in config)
            {
                if (string.Equals(pair.Key, key, StringComparison.OrdinalIgnoreCase))
                    return string.IsNullOrWhiteSpace(pair.Value) ? null : pair.Value.Trim();
            }
            return null;
        }

        static X509Certificate2 FindClientCertificate(string thumbprint)
        {
            string wanted = thumbprint.Replace(" ", "").Replace(":", "").ToUpperInvariant();
            var store = new X509Store(StoreName.My, StoreLocation.LocalMachine);
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                X509Certificate2Collection found = store.Certificates.Find(X509FindType.FindByThumbprint, wanted, false);
                if (found.Count == 0)
                    throw new AttributeStoreInvalidConfigurationException("devicegate store: no certificate " + wanted + " in LocalMachine\\My");
                X509Certificate2 cert = found[0];
                if (!cert.HasPrivateKey)
                    throw new AttributeStoreInvalidConfigurationException("devicegate store: certificate " + wanted + " has no private key the AD FS service account can use");
                return cert;
            }
            catch (AttributeStoreException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw new AttributeStoreInvalidConfigurationException("devicegate store: LocalMachine\\My could not be read: " + e.Message, e);
            }
            finally
            {
                store.Close();
            }
        }

        static byte[] ToJson(QueryRequest body)
        {
            using (var stream = new MemoryStream())
            {
                new DataContractJsonSerializer(typeof(QueryRequest)).WriteObject(stream, body);
                return stream.ToArray();
            }
        }

        [DataContract]
        sealed class QueryRequest
        {
            [DataMember(Name = "query", Order = 1)] public string Query;
            [DataMember(Name = "params", Order = 2)] public string[] Params;
            [DataMember(Name = "store", Order = 3, EmitDefaultValue = false)] public string Store;
            [DataMember(Name = "node", Order = 4, EmitDefaultValue = false)] public string Node;
            [DataMember(Name = "requestId", Order = 5, EmitDefaultValue = false)] public string RequestId;
        }

        [DataContract]
        sealed class QueryResponse
        {
            [DataMember(Name = "columns")] public string[] Columns;
            [DataMember(Name = "rows")] public string[][] Rows;
        }

        [DataContract]
        sealed class ErrorEnvelope
        {
            [DataMember(Name = "error")] public ErrorInfo Error;
        }

        [DataContract]
        sealed class ErrorInfo
        {
            [DataMember(Name = "code")] public string Code;
            [DataMember(Name = "message")] public string Message;
            [DataMember(Name = "position")] public int? Position;
        }
    }
}
