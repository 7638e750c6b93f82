-- The Haskell peer: one thread per download (forkIO), each connecting a socket, turning it into a
-- Handle and reading the poem with the lazy hGetContents, its result put in an MVar that main
-- takes in input order, as the series' Haskell client does. What that client leaves out, the
-- contract asks for: each failure with its code, a timeout per download (System.Timeout, which
-- interrupts the read), a limit on downloads in flight (a QSem), and exit code 1 unless every
-- poem arrived.
--
-- It prints one JSON document: per task the poem's length and SHA-256 or an error code, the
-- elapsed time from just before the first connect to the last result, CPU time over the same
-- window (user and system, from times(): 10 ms ticks) and the peak resident memory (VmHWM). The
-- runtime's start-up is before that window; `startedAtMs` lets the bench report it apart.
--
-- Built once by `npm run peers -- install`: ghc -threaded -O2 (see bench/peers/peers.ts).
-- Usage: bench/peers/build/haskell-peer [options] [host:]port ...   (--help)
module Main (main) where

import Control.Concurrent (forkIO, getNumCapabilities)
import Control.Concurrent.MVar (MVar, newEmptyMVar, putMVar, takeMVar)
import Control.Concurrent.QSem (QSem, newQSem, signalQSem, waitQSem)
import Control.Exception (SomeException, bracketOnError, bracket_, evaluate, finally, fromException, try)
import qualified Crypto.Hash.SHA256 as SHA256
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.Char (isSpace)
import Data.List (intercalate, isPrefixOf)
import Data.Text.Encoding (decodeUtf8')
import Data.Version (showVersion)
import Data.Time.Clock.POSIX (getPOSIXTime)
import Foreign.C.Error (Errno (..), eCONNABORTED, eCONNREFUSED, eCONNRESET, ePIPE)
import GHC.Clock (getMonotonicTime)
import GHC.IO.Exception (IOException (..))
import Network.Socket
import System.Environment (getArgs)
import System.Exit (ExitCode (..), exitWith)
import System.IO
import System.Info (fullCompilerVersion)
import System.Posix.Process (ProcessTimes (..), getProcessTimes)
import System.Posix.Unistd (SysVar (ClockTick), getSysVar)
import System.Timeout (timeout)
import Text.Read (readMaybe)

data Outcome = Poem BS.ByteString | Failed String String

data Options = Options {addresses :: [(String, String)], timeoutSeconds :: Maybe Double, limit :: Maybe Int}

main :: IO ()
main = do
  options <- getArgs >>= parseArgs (Options [] Nothing Nothing)
  startedAt <- getPOSIXTime
  start <- getMonotonicTime
  cpuBefore <- getProcessTimes
  semaphore <- traverse newQSem (limit options)
  mailboxes <- mapM (spawn semaphore (timeoutSeconds options)) (addresses options)
  outcomes <- mapM takeMVar mailboxes
  end <- getMonotonicTime
  cpuAfter <- getProcessTimes
  tick <- fromIntegral <$> getSysVar ClockTick
  peak <- peakRssMB
  capabilities <- getNumCapabilities
  let ms f = realToFrac (f cpuAfter - f cpuBefore) * 1000 / tick :: Double
      results = zipWith digest (addresses options) outcomes
  B.hPutBuilder stdout $
    object
      [ ("runtime", string ("GHC " ++ showVersion fullCompilerVersion ++ ", -threaded -O2, " ++ show capabilities ++ " capability"))
      , ("startedAtMs", B.doubleDec (realToFrac startedAt * 1000))
      , ("elapsedMs", B.doubleDec ((end - start) * 1000))
      , ("userMs", B.doubleDec (ms userTime))
      , ("systemMs", B.doubleDec (ms systemTime))
      , ("maxRssMB", B.doubleDec peak)
      , ("results", B.char7 '[' <> mconcat (commas (map fst results)) <> B.char7 ']')
      ]
      <> B.char7 '\n'
  hFlush stdout
  exitWith (if all snd results then ExitSuccess else ExitFailure 1)

-- One thread per download; its outcome goes into the MVar main will take.
spawn :: Maybe QSem -> Maybe Double -> (String, String) -> IO (MVar Outcome)
spawn semaphore seconds address = do
  mailbox <- newEmptyMVar
  _ <- forkIO (withLimit semaphore (getPoetry seconds address) >>= putMVar mailbox)
  pure mailbox

withLimit :: Maybe QSem -> IO a -> IO a
withLimit Nothing act = act
withLimit (Just semaphore) act = bracket_ (waitQSem semaphore) (signalQSem semaphore) act

-- Connect, then read the poem lazily until the server closes; never throws, every failure is an Outcome.
getPoetry :: Maybe Double -> (String, String) -> IO Outcome
getPoetry seconds (host, port) = do
  attempt <- try (maybe (Just <$> download) (\s -> timeout (round (s * 1e6)) download) seconds)
  pure $ case attempt of
    Left problem -> failure problem
    Right Nothing -> Failed "TIMEOUT" ("no complete poem within " ++ show (round (maybe 0 (* 1000) seconds) :: Int) ++ " ms")
    Right (Just poem) -> either (const (Failed "BAD_ENCODING" "the poem's bytes are not UTF-8")) (const (Poem poem)) (decodeUtf8' poem)
  where
    download = do
      info : _ <- getAddrInfo (Just defaultHints {addrSocketType = Stream}) (Just host) (Just port)
      bracketOnError (socket (addrFamily info) Stream defaultProtocol) close $ \sock -> do
        connect sock (addrAddress info)
        handle <- socketToHandle sock ReadMode
        (BL.hGetContents handle >>= evaluate . BL.toStrict) `finally` hClose handle

failure :: SomeException -> Outcome
failure problem = case fromException problem of
  Just io
    | errno io == Just eCONNREFUSED -> Failed "REFUSED" "connection refused"
    | errno io `elem` map Just [eCONNRESET, ePIPE, eCONNABORTED] -> Failed "RESET" "connection reset mid-poem"
  _ -> Failed "NETWORK" (show problem)
  where
    errno io = Errno <$> ioe_errno io

digest :: (String, String) -> Outcome -> (B.Builder, Bool)
digest (host, port) outcome = case outcome of
  Poem poem ->
    ( object [ok True, where_, ("bytes", B.intDec (BS.length poem)), ("sha256", string' (B.byteStringHex (SHA256.hash poem)))]
    , True
    )
  Failed code message -> (object [ok False, where_, ("code", string code), ("message", string message)], False)
  where
    ok value = ("ok", B.string7 (if value then "true" else "false"))
    where_ = ("address", string (host ++ ":" ++ port))
    string' hex = B.char7 '"' <> hex <> B.char7 '"'

-- The kernel's high-water mark of resident memory, from /proc/self/status (VmHWM, in kB).
peakRssMB :: IO Double
peakRssMB = do
  status <- readFile "/proc/self/status"
  let kb = [n | line <- lines status, "VmHWM:" `isPrefixOf` line, Just n <- [readMaybe (filter (not . isSpace) (takeWhile (/= 'k') (drop 6 line)))]]
  pure (maybe 0 (/ 1024) (safeHead kb))
  where
    safeHead xs = case xs of (x : _) -> Just x; [] -> Nothing

object :: [(String, B.Builder)] -> B.Builder
object fields = B.char7 '{' <> mconcat (commas [string key <> B.char7 ':' <> value | (key, value) <- fields]) <> B.char7 '}'

commas :: [B.Builder] -> [B.Builder]
commas [] = []
commas (first : rest) = first : map (B.char7 ',' <>) rest

-- A JSON string: quotes, backslashes and control characters escaped.
string :: String -> B.Builder
string text = B.char7 '"' <> foldMap escape text <> B.char7 '"'
  where
    escape '"' = B.string7 "\\\""
    escape '\\' = B.string7 "\\\\"
    escape c | c < ' ' = B.string7 "\\u00" <> B.word8HexFixed (fromIntegral (fromEnum c))
    escape c = B.charUtf8 c

usage :: String
usage =
  intercalate
    "\n"
    [ "Usage: haskell-peer [--timeout <seconds>] [--concurrency <k>] [--addresses <file>] [host:]port ..."
    , ""
    , "Fetches poems with one thread per download (forkIO, lazy hGetContents, MVars)."
    , ""
    , "Options:"
    , "  --timeout <seconds>    a download (connect + receive) that takes longer fails with TIMEOUT"
    , "  --concurrency <k>      at most k downloads in flight at once (default: all at once)"
    , "  --addresses <file>     read more addresses from a file, one per line (for thousands)"
    , "  -h, --help             show this help"
    , ""
    , "Prints one JSON document on stdout: one result per address in input order (bytes and SHA-256"
    , "of the poem, or an error code), the elapsed time from just before the first connect to the"
    , "last result, CPU time and peak memory."
    , ""
    , "Exit codes:"
    , "  0   every poem arrived"
    , "  1   some poem did not arrive (its result says why)"
    , "  2   usage error"
    ]

parseArgs :: Options -> [String] -> IO Options
parseArgs options args = case args of
  [] | null (addresses options) -> usageError "no addresses given"
  [] -> pure options {addresses = reverse (addresses options)}
  flag : _ | flag `elem` ["-h", "--help"] -> putStrLn usage >> exitWith ExitSuccess
  "--timeout" : value : rest -> case readMaybe value :: Maybe Double of
    Just s | s > 0 -> parseArgs options {timeoutSeconds = Just s} rest
    _ -> usageError ("--timeout must be a positive number, got " ++ value)
  "--concurrency" : value : rest -> case readMaybe value :: Maybe Int of
    Just k | k > 0 -> parseArgs options {limit = Just k} rest
    _ -> usageError ("--concurrency must be a positive whole number, got " ++ value)
  "--addresses" : file : rest -> do
    text <- try (readFile file >>= \t -> length t `seq` pure t)
    case text of
      Left problem -> usageError (file ++ ": " ++ show (problem :: IOException))
      Right contents -> do
        parsed <- mapM address (filter (not . all isSpace) (lines contents))
        parseArgs options {addresses = reverse parsed ++ addresses options} rest
  [flag] | flag `elem` ["--timeout", "--concurrency", "--addresses"] -> usageError (flag ++ " needs a value")
  flag@('-' : _) : _ -> usageError ("unknown option " ++ flag)
  text : rest -> do
    parsed <- address text
    parseArgs options {addresses = parsed : addresses options} rest

-- `host:port` or a bare `port` (on 127.0.0.1), as the project's own client reads them.
address :: String -> IO (String, String)
address text =
  let trimmed = filter (not . isSpace) text
      (hostPart, portPart) = breakLast trimmed
      host = if null hostPart then "127.0.0.1" else hostPart
   in case readMaybe portPart :: Maybe Int of
        Just n | n >= 0 -> pure (host, show n)
        _ -> usageError ("not an address: " ++ text ++ " (expected host:port or port)")
  where
    breakLast s = case break (== ':') (reverse s) of
      (port, ':' : host) -> (reverse host, reverse port)
      (port, _) -> ("", reverse port)

usageError :: String -> IO a
usageError why = hPutStrLn stderr ("haskell-peer: " ++ why ++ " (see --help)") >> exitWith (ExitFailure 2)
